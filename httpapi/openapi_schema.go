package httpapi

import (
	"reflect"
	"strings"
)

// JSON Schemas of the OpenAPI document. The answers' schemas are derived
// from the very structs the handlers encode (schemaOf), so that a field
// added to an answer is in the document at once; the end-to-end tests
// validate every answer against them.

// schema is one JSON Schema (or any other object of the document).
type schema = map[string]any

func object(props schema, required ...string) schema {
	o := schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func ref(name string) schema { return schema{"$ref": "#/components/schemas/" + name} }

func arrayOf(items any) schema { return schema{"type": "array", "items": items} }

func enum(values ...string) schema { return schema{"type": "string", "enum": values} }

func described(s schema, description string) schema {
	out := schema{"description": description}
	for k, v := range s {
		out[k] = v
	}
	return out
}

var (
	str       = schema{"type": "string"}
	integer   = schema{"type": "integer"}
	boolean   = schema{"type": "boolean"}
	dateTime  = schema{"type": "string", "format": "date-time"}
	anyObject = schema{"type": "object"}
	binary    = schema{"type": "string", "contentMediaType": "application/octet-stream"}
	// checks is /readyz's answer per store: "ok" or why not.
	checks = schema{"type": "object", "additionalProperties": str}
)

// schemaFor is the schema of what v's type encodes to.
func schemaFor(v any) schema { return schemaOf(reflect.TypeOf(v)) }

// schemaOf derives a JSON Schema from a Go type as encoding/json encodes
// it: fields by their json names (embedded structs inlined), every field
// required unless omitempty or reached through an embedded pointer,
// nothing else allowed.
func schemaOf(t reflect.Type) schema {
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.String:
		return schema{"type": "string"}
	case reflect.Bool:
		return schema{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return schema{"type": "integer"}
	case reflect.Slice:
		return arrayOf(schemaOf(t.Elem()))
	case reflect.Struct:
		props, required := schema{}, []string{}
		addFields(t, props, &required, true)
		return object(props, required...)
	}
	return schema{}
}

// addFields adds t's fields to props. Fields of an embedded pointer are
// optional: a nil pointer leaves them out.
func addFields(t reflect.Type, props schema, required *[]string, mandatory bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" {
			switch {
			case f.Type.Kind() == reflect.Struct:
				addFields(f.Type, props, required, mandatory)
				continue
			case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
				addFields(f.Type.Elem(), props, required, false)
				continue
			}
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = fieldSchema(name, f.Type)
		if mandatory && !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}

// fieldSchema is schemaOf, with the times of the answers (the fields
// named *_at, written as RFC 3339) marked as such.
func fieldSchema(name string, t reflect.Type) schema {
	if (strings.HasSuffix(name, "_at") || name == "at") && t.Kind() == reflect.String {
		return dateTime
	}
	return schemaOf(t)
}
