package httpapi

import (
	"regexp"
	"strings"

	"golang.org/x/text/language"

	"github.com/miniauth/miniauth"
)

// Error messages in Chinese, chosen by Accept-Language. The code never
// changes, only the message. The English message is the key: the domain
// writes its messages once, in English, where it knows what went wrong,
// and this catalogue is the one place that translates them. A message
// with values in it (a field name, a limit) is keyed by its format; the
// values are carried over. A message the catalogue does not know falls
// back to its code's Chinese message, so a Chinese client never reads
// English from a new message, only a less specific one.

// zhByCode is every code's Chinese message, for messages the catalogue
// below does not know.
var zhByCode = map[string]string{
	miniauth.EInvalidRequest:      "请求无效",
	miniauth.EInvalidCode:         "登录 code 无效、已过期或已被使用",
	miniauth.EUserBlocked:         "该用户已被封禁",
	miniauth.EUnauthorized:        "未登录或登录已失效",
	miniauth.ENotFound:            "找不到请求的对象",
	miniauth.EConflict:            "与已有数据冲突，未做任何更改",
	miniauth.EForbidden:           "没有权限，或表单的 CSRF 令牌无效",
	miniauth.EPayloadTooLarge:     "请求体过大",
	miniauth.ERateLimited:         "请求过于频繁，请稍后再试",
	miniauth.EUpstreamUnavailable: "服务暂时不可用，请稍后再试",
	miniauth.EInternal:            "服务器内部错误",
	miniauth.ECanceled:            "请求已取消",
}

// zhMessages translates the messages clients meet, keyed by the English
// message or its format (%s, %d, %q, %v stand for values; {1}, {2}...
// place them in the Chinese text).
var zhMessages = map[string]string{
	// Tokens and sessions.
	"missing, malformed, expired or revoked token":           "令牌缺失、格式错误、已过期或已被撤销",
	"malformed, forged or expired token":                     "令牌格式错误、伪造或已过期",
	"refresh token was just rotated by another request":      "刷新令牌刚被另一个请求轮换过",
	"refresh token was already used; the session is revoked": "刷新令牌已被使用过，该会话已被撤销",
	"missing bearer token":                                   "缺少 Bearer 令牌",
	"several Authorization headers; send one":                "Authorization 请求头有多个，只能发送一个",
	"missing or wrong admin token":                           "管理令牌缺失或错误",
	"missing or wrong introspection secret":                  "内省密钥缺失或错误",
	"session not found":                                      "会话不存在",
	"refresh token not found":                                "刷新令牌不存在",
	// Logins and their codes.
	"this account is disabled":                     "该账号已被禁用",
	"code is empty":                                "code 为空",
	"code is too long":                             "code 过长",
	"the code is empty":                            "code 为空",
	"the code is malformed":                        "code 格式错误",
	"the code is invalid, expired or already used": "code 无效、已过期或已被使用",
	"appid is required: this server serves several mini programs": "缺少 appid：本服务接入了多个小程序",
	"unknown appid":                                      "未知的 appid",
	"openid is empty":                                    "openid 为空",
	"phone numbers need a WeChat app":                    "获取手机号需要微信小程序",
	"wechat blocked this user":                           "该用户已被微信封禁",
	"the platform blocked this user":                     "该用户已被平台封禁",
	"wechat rate limit reached":                          "已达到微信接口的频率限制",
	"the platform's rate limit is reached":               "已达到平台接口的频率限制",
	"too many failed logins %s; try again in %d seconds": "{1}登录失败次数过多，请 {2} 秒后再试",
	"too many requests; slow down":                       "请求过于频繁，请放慢速度",
	// Outages.
	"wechat is unavailable":                      "微信接口暂时不可用",
	"wechat answered errcode %d":                 "微信接口返回错误码 {1}",
	"wechat answered no phone number":            "微信未返回手机号",
	"the platform is unavailable":                "平台接口暂时不可用",
	"the platform answered error %s":             "平台接口返回错误 {1}",
	"access token unavailable":                   "暂时无法获取接口调用凭据",
	"access token refresh limited":               "接口调用凭据的刷新次数已达上限",
	"the database is unavailable":                "数据库暂时不可用",
	"the shared store is unavailable; try again": "共享存储暂时不可用，请重试",
	"the %s did not answer within %v; try again": "{1}未在 {2} 内响应，请重试",
	"the %s did not answer in time; try again":   "{1}未及时响应，请重试",
	// Requests.
	"request body is larger than %d bytes":           "请求体超过 {1} 字节",
	"request body is empty; expected a JSON object":  "请求体为空，应为一个 JSON 对象",
	"request body must be a JSON object":             "请求体必须是一个 JSON 对象",
	"could not read the request body":                "无法读取请求体",
	"field %q must be a %s":                          "字段 {1} 必须是 {2} 类型",
	"malformed JSON: data after the object":          "JSON 格式错误：对象之后还有数据",
	"malformed JSON: %v":                             "JSON 格式错误：{1}",
	"refresh_token is required":                      "缺少 refresh_token",
	"the body must be a form: token=...":             "请求体必须是表单：token=...",
	"token is required (form body token=...)":        "缺少 token（表单 token=...）",
	"no route %s %s":                                 "没有这个路由：{1} {2}",
	"no object with this %s":                         "没有此 {1} 对应的对象",
	"%s not found":                                   "{1} 不存在",
	"a query parameter name is not valid UTF-8 text": "查询参数名不是有效的 UTF-8 文本",
	"query parameter %s is not valid UTF-8 text":     "查询参数 {1} 不是有效的 UTF-8 文本",
	"%s must be a whole number from %d to %d":        "{1} 必须是 {2} 到 {3} 之间的整数",
	"before must be an RFC 3339 time":                "before 必须是 RFC 3339 格式的时间",
	"limit must be from 1 to %d":                     "limit 必须在 1 到 {1} 之间",
	"the range must hold 1 to %d days":               "日期范围必须为 1 到 {1} 天",
	"login events are not recorded on this server":   "本服务未记录登录事件",
	"internal error":                                 "服务器内部错误",
}

// messagePattern is a catalogue entry whose English message has values.
type messagePattern struct {
	english *regexp.Regexp
	chinese string
}

var (
	zhExact, zhPatterns = compileCatalogue(zhMessages)
	formatVerb          = regexp.MustCompile(`%[sdqv]`)
)

// compileCatalogue splits the catalogue into exact messages and patterns,
// the longest (most specific) patterns first.
func compileCatalogue(m map[string]string) (map[string]string, []messagePattern) {
	exact := map[string]string{}
	var patterns []messagePattern
	for en, zh := range m {
		if !formatVerb.MatchString(en) {
			exact[en] = zh
			continue
		}
		parts := formatVerb.Split(en, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re := regexp.MustCompile("^" + strings.Join(parts, "(.*?)") + "$")
		patterns = append(patterns, messagePattern{english: re, chinese: zh})
	}
	sortPatterns(patterns)
	return exact, patterns
}

func sortPatterns(p []messagePattern) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && len(p[j].english.String()) > len(p[j-1].english.String()); j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// chineseMessage translates an error's English message.
func chineseMessage(code, message string) string {
	if zh, ok := zhExact[message]; ok {
		return zh
	}
	for _, p := range zhPatterns {
		if values := p.english.FindStringSubmatch(message); values != nil {
			zh := p.chinese
			for i, v := range values[1:] {
				zh = strings.ReplaceAll(zh, "{"+string(rune('1'+i))+"}", v)
			}
			return zh
		}
	}
	if zh, ok := zhByCode[code]; ok {
		return zh
	}
	return zhByCode[miniauth.EInternal]
}

// wantsChinese reports whether the client's Accept-Language prefers
// Simplified Chinese (zh, zh-CN, zh-Hans...) to English, q-values
// respected. Anything else, or nothing, is English.
func wantsChinese(acceptLanguage string) bool {
	if acceptLanguage == "" {
		return false
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil {
		return false
	}
	for _, tag := range tags { // sorted by q, highest first; q=0 left out
		base, _ := tag.Base()
		switch base.String() {
		case "zh":
			if script, _ := tag.Script(); script.String() == "Hans" {
				return true
			}
		case "en", "und": // "*" is und
			return false
		}
	}
	return false
}
