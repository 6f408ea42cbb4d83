// Package miniauth is the domain of the miniauth login service: users,
// sessions, the WeChat interface and the use cases (login, refresh, logout,
// verify, phone binding) written against interfaces. It imports no outside
// dependency; the adapter packages (sqlite, postgres, mysql, redis, wechat,
// httpapi, wxsim) implement or drive what is declared here.
package miniauth
