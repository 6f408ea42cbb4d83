package wxsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
)

// The answers: WeChat's JSON and errcodes, and the control endpoints' own.

// response is an answer computed before it is written, so that a delay fault
// can hold it back after the call has had its effect.
type response struct {
	errcode     int // WeChat's errcode, for the debug log only
	status      int // 0: 200
	contentType string
	body        []byte
}

func (resp response) write(w http.ResponseWriter) {
	if resp.contentType != "" {
		w.Header().Set("Content-Type", resp.contentType)
	}
	if resp.status != 0 {
		w.WriteHeader(resp.status)
	}
	w.Write(resp.body)
}

// wechatJSON is a WeChat answer with HTTP 200.
func wechatJSON(v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own structs are marshalled here; this cannot happen.
		panic("wxsim: marshal: " + err.Error())
	}
	return response{contentType: jsonContentType, body: b}
}

// wechatError is WeChat's business error: HTTP 200 with errcode and an errmsg
// that ends in a request id.
type wechatError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (s *Simulator) wechatErr(code int) response {
	resp := wechatJSON(wechatError{ErrCode: code, ErrMsg: errMsg(code) + ", rid: " + newRID(s.now())})
	resp.errcode = code
	return resp
}

// errMsg is WeChat's text for its codes.
func errMsg(code int) string {
	switch code {
	case -1:
		return "system error"
	case 40001:
		return "invalid credential, access_token is invalid or not latest"
	case 40002:
		return "invalid grant_type"
	case 40013:
		return "invalid appid"
	case 40029:
		return "invalid code"
	case 40125:
		return "invalid appsecret"
	case 40163:
		return "code been used"
	case 40164:
		return "invalid ip, not in whitelist"
	case 40226:
		return "high risk user, login blocked"
	case 41001:
		return "access_token missing"
	case 41002:
		return "appid missing"
	case 41004:
		return "appsecret missing"
	case 41030:
		return "invalid page rid"
	case 40169:
		return "invalid length for scene, or the data is not json"
	case 42001:
		return "access_token expired"
	case 45009:
		return "reach max api daily quota limit"
	case 45011:
		return "api minute-quota reach limit  mustslower  retry next minute"
	case 47001:
		return "data format error"
	case 48001:
		return "api unauthorized"
	case 87009:
		return "invalid signature"
	case 40003:
		return "invalid openid"
	case 87014:
		return "risky content"
	}
	return "simulated error"
}

// controlError answers a control endpoint's failure: an HTTP error status
// with the errcode/errmsg shape (no rid: this is not WeChat).
func controlError(status, code int, msg string) response {
	b, _ := json.Marshal(wechatError{ErrCode: code, ErrMsg: msg})
	return response{status: status, contentType: controlContentType, body: b}
}

func controlJSON(v any) response {
	resp := wechatJSON(v)
	resp.contentType = controlContentType
	return resp
}

// readBody reads a bounded request body. tooLarge reports a body over
// maxBody.
func readBody(r *http.Request) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, false, err
	}
	if len(body) > maxBody {
		return nil, true, nil
	}
	return body, false, nil
}

// decodeControl decodes a control endpoint's JSON body strictly (unknown
// fields are typos worth reporting), or returns the error answer.
func decodeControl(r *http.Request, v any) (response, bool) {
	body, tooLarge, err := readBody(r)
	switch {
	case err != nil:
		return controlError(http.StatusBadRequest, 47001, "cannot read body"), false
	case tooLarge:
		return controlError(http.StatusRequestEntityTooLarge, 47001, "body over 64 KiB"), false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return controlError(http.StatusBadRequest, 47001, "body is not the expected JSON: "+err.Error()), false
	}
	if dec.More() {
		return controlError(http.StatusBadRequest, 47001, "body has data after the JSON object"), false
	}
	return response{}, true
}
