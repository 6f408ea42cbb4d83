package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

const envPrefix = "MINIAUTH_"

// envName is the variable of a key: "wechat.base_url" → MINIAUTH_WECHAT_BASE_URL.
func envName(key string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// applyEnv sets every key that has a MINIAUTH_ variable in environ. Lists
// take comma-separated values; [[wechat.apps]] has no variable (one app is
// MINIAUTH_WECHAT_APPID and MINIAUTH_WECHAT_SECRET).
func applyEnv(cfg *Config, environ []string) (problems, warnings []string) {
	vars := map[string]string{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(name, envPrefix) {
			vars[name] = value
		}
	}
	known := map[string]bool{}
	root := reflect.ValueOf(cfg).Elem()
	for i := 0; i < root.NumField(); i++ {
		section := root.Type().Field(i).Tag.Get("toml")
		sv := root.Field(i)
		if sv.Kind() != reflect.Struct {
			continue // [[apps]]: TOML only
		}
		for j := 0; j < sv.NumField(); j++ {
			key := section + "." + sv.Type().Field(j).Tag.Get("toml")
			name := envName(key)
			field := sv.Field(j)
			if !settable(field) {
				continue
			}
			known[name] = true
			value, ok := vars[name]
			if !ok {
				continue
			}
			if err := set(field, value); err != nil {
				problems = append(problems, fmt.Sprintf("%s (%s): %v", name, key, err))
			}
		}
	}
	for name := range vars {
		if !known[name] && !strings.HasPrefix(name, envPrefix+"TEST_") {
			warnings = append(warnings, fmt.Sprintf("%s is not a miniauth setting; it is ignored", name))
		}
	}
	return problems, warnings
}

type textSetter interface{ UnmarshalText([]byte) error }

func settable(v reflect.Value) bool {
	if _, ok := v.Addr().Interface().(textSetter); ok {
		return true
	}
	switch v.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Float64:
		return true
	case reflect.Slice:
		return v.Type().Elem().Kind() == reflect.String
	}
	return false
}

func set(v reflect.Value, value string) error {
	if ts, ok := v.Addr().Interface().(textSetter); ok {
		return ts.UnmarshalText([]byte(value))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(value)
	case reflect.Bool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("%q is not true or false", value)
		}
		v.SetBool(b)
	case reflect.Int:
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", value)
		}
		v.SetInt(int64(n))
	case reflect.Float64:
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", value)
		}
		v.SetFloat(f)
	case reflect.Slice:
		var items []string
		for _, item := range strings.Split(value, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		v.Set(reflect.ValueOf(items))
	}
	return nil
}
