package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Languages of the console: English and simplified Chinese.
const (
	langEN = "en"
	langZH = "zh-CN"
)

// langCookieAge is how long the language switch is remembered.
const langCookieAge = 365 * 24 * time.Hour

// language picks the page's language: ?lang= (the switch, remembered in a
// cookie), then the cookie, then Accept-Language, then English.
func (h *Handler) language(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == langEN || l == langZH {
		h.setCookie(w, langCookie, l, langCookieAge)
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == langEN || c.Value == langZH) {
		return c.Value
	}
	return fromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// fromAcceptLanguage returns zh-CN when a Chinese tag has the highest
// weight of the tags we know, English otherwise.
func fromAcceptLanguage(header string) string {
	best, bestQ := langEN, -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		tag = strings.ToLower(tag)
		var l string
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			l = langZH
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			l = langEN
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// messages holds every text of the pages, by language.
var messages = map[string]map[string]string{
	langEN: {
		"console": "miniauth console", "user": "User", "dashboard": "Dashboard", "users": "Users", "audit": "Audit log",
		"signin": "Sign in", "signout": "Sign out", "name": "Operator name", "password": "Password",
		"bad_signin": "Wrong operator name or password.", "locked": "Too many failed sign-ins: this operator is locked. Try again later.",
		"total_users": "Users", "live_sessions": "Live sessions", "new_users_30": "New users per day (30 days)",
		"logins_30": "Logins per day (30 days)", "failures_30": "Failed logins and refreshes per day, by code and platform (30 days)",
		"code": "Code", "count": "Count", "no_failures": "No failures.",
		"kind_login": "login", "kind_refresh": "refresh", "kind_logout": "logout", "result_ok": "ok",
		"calls_24h": "Calls to WeChat and other platforms by result (this node, last 24 h)",
		"platform":  "Platform", "endpoint": "Endpoint", "result": "Result", "calls": "Calls", "no_calls": "No calls yet.",
		"unknown": "not counted here", "search": "Search", "search_hint": "id, openid, unionid, phone or nickname prefix",
		"app": "App", "any": "Any", "status": "Status", "enabled": "Enabled", "disabled": "Disabled",
		"nickname": "Nickname", "phone": "Phone", "created": "Created", "next": "Next page", "no_users": "No users found.",
		"profile": "Profile", "identities": "Identities", "sessions": "Sessions", "logins": "Login history",
		"ip": "IP", "user_agent": "User agent", "last_used": "Last used", "expires": "Expires", "revoke": "Revoke",
		"disable": "Disable", "enable": "Enable", "no_sessions": "No live sessions.", "no_logins": "No logins recorded.",
		"when": "When", "operator": "Operator", "action": "Action", "target": "Target", "no_audit": "No actions yet.",
		"avatar": "Avatar", "kind": "Kind", "disable_confirm": "Disable this user? Every session ends at once.",
		"revoke_confirm": "Revoke this session?", "language": "中文", "older": "Older",
		"since_start": "since this node started", "total": "total",
		"sign_in": "signed in", "sign_in_failed": "failed sign-in", "sign_in_locked": "sign-in while locked",
		"sign_out": "signed out", "revoke_session": "revoked a session", "disable_user": "disabled a user",
		"enable_user": "enabled a user", "operator_add": "added an operator", "operator_passwd": "changed a password",
		"operator_remove": "removed an operator",
	},
	langZH: {
		"console": "miniauth 管理后台", "user": "用户详情", "dashboard": "概览", "users": "用户", "audit": "操作日志",
		"signin": "登录", "signout": "退出", "name": "管理员账号", "password": "密码",
		"bad_signin": "账号或密码错误。", "locked": "登录失败次数过多，该账号已被暂时锁定，请稍后再试。",
		"total_users": "用户总数", "live_sessions": "在线会话", "new_users_30": "每日新增用户（30 天）",
		"logins_30": "每日登录次数（30 天）", "failures_30": "每日登录及刷新失败次数，按错误码和平台（30 天）",
		"code": "错误码", "count": "次数", "no_failures": "没有失败。",
		"kind_login": "登录", "kind_refresh": "刷新", "kind_logout": "退出", "result_ok": "成功",
		"calls_24h": "调用微信及其他平台接口的结果（本节点，最近 24 小时）",
		"platform":  "平台", "endpoint": "接口", "result": "结果", "calls": "次数", "no_calls": "暂无调用。",
		"unknown": "此处不统计", "search": "搜索", "search_hint": "用户 ID、openid、unionid、手机号或昵称前缀",
		"app": "小程序", "any": "全部", "status": "状态", "enabled": "正常", "disabled": "已禁用",
		"nickname": "昵称", "phone": "手机号", "created": "注册时间", "next": "下一页", "no_users": "没有找到用户。",
		"profile": "资料", "identities": "登录身份", "sessions": "会话", "logins": "登录记录",
		"ip": "IP", "user_agent": "设备（User-Agent）", "last_used": "最近使用", "expires": "过期时间", "revoke": "注销",
		"disable": "禁用", "enable": "启用", "no_sessions": "没有在线会话。", "no_logins": "没有登录记录。",
		"when": "时间", "operator": "管理员", "action": "操作", "target": "对象", "no_audit": "暂无操作。",
		"avatar": "头像", "kind": "类型", "disable_confirm": "确定禁用该用户？其所有会话将立即失效。",
		"revoke_confirm": "确定注销该会话？", "language": "English", "older": "更早",
		"since_start": "自本节点启动以来", "total": "合计",
		"sign_in": "登录", "sign_in_failed": "登录失败", "sign_in_locked": "锁定期间尝试登录",
		"sign_out": "退出", "revoke_session": "注销会话", "disable_user": "禁用用户",
		"enable_user": "启用用户", "operator_add": "添加管理员", "operator_passwd": "修改密码",
		"operator_remove": "删除管理员",
	},
}

// otherLang is the language the switch offers.
func otherLang(l string) string {
	if l == langZH {
		return langEN
	}
	return langZH
}

// switchURL is the current page in the other language.
func switchURL(r *http.Request, to string) string {
	q := r.URL.Query()
	q.Set("lang", to)
	return r.URL.Path + "?" + q.Encode()
}
