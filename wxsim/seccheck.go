package wxsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"
)

// DefaultRiskyWord is the word msg_sec_check finds risky unless
// Options.RiskyWords says otherwise: a nickname with it in is refused, in
// dev mode too.
const DefaultRiskyWord = "badword"

// maxCheckRunes is msg_sec_check's limit on content.
const maxCheckRunes = 2500

// labelRisky is the label the simulator gives risky text (20006: illegal).
const labelRisky = 20006

func riskyWords(words []string) []string {
	if words == nil {
		return []string{DefaultRiskyWord}
	}
	out := make([]string, 0, len(words))
	for _, w := range words {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			out = append(out, w)
		}
	}
	return out
}

type msgSecCheckRequest struct {
	Version int    `json:"version"`
	OpenID  string `json:"openid"`
	Scene   int    `json:"scene"`
	Content string `json:"content"`
}

type msgSecCheckResult struct {
	Suggest string `json:"suggest"`
	Label   int    `json:"label"`
}

type msgSecCheckDetail struct {
	Strategy string `json:"strategy"`
	ErrCode  int    `json:"errcode"`
	Suggest  string `json:"suggest"`
	Label    int    `json:"label"`
	Prob     int    `json:"prob,omitempty"`
	Keyword  string `json:"keyword,omitempty"`
}

type msgSecCheckResponse struct {
	ErrCode int                 `json:"errcode"`
	ErrMsg  string              `json:"errmsg"`
	Result  msgSecCheckResult   `json:"result"`
	Detail  []msgSecCheckDetail `json:"detail"`
	TraceID string              `json:"trace_id"`
}

// msgSecCheck is POST wxa/msg_sec_check, versions 1 and 2.
func (s *Simulator) msgSecCheck(r *http.Request) response {
	appID, errcode := s.checkToken(r.URL.Query().Get("access_token"))
	if errcode != 0 {
		return s.wechatErr(errcode)
	}
	body, tooLarge, err := readBody(r)
	if err != nil || tooLarge {
		return s.wechatErr(47001)
	}
	var req msgSecCheckRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Content == "" ||
		utf8.RuneCountInString(req.Content) > maxCheckRunes {
		return s.wechatErr(47001)
	}
	word := s.riskyWordIn(req.Content)
	if req.Version != 2 {
		if word != "" {
			return s.wechatErr(87014)
		}
		return wechatJSON(wechatError{ErrCode: 0, ErrMsg: wechatSuccessErrMsg})
	}
	if req.Scene < 1 || req.Scene > 4 {
		return s.wechatErr(47001)
	}
	if _, ok := s.sessionKeys.get(appID+"\x00"+req.OpenID, s.nowNano()); !ok {
		return s.wechatErr(40003) // WeChat checks that the user used the app lately
	}
	res := msgSecCheckResult{Suggest: "pass", Label: 100}
	detail := msgSecCheckDetail{Strategy: "content_model", Suggest: "pass", Label: 100}
	if word != "" {
		res = msgSecCheckResult{Suggest: "risky", Label: labelRisky}
		detail = msgSecCheckDetail{Strategy: "keyword", Suggest: "risky", Label: labelRisky, Prob: 90, Keyword: word}
	}
	return wechatJSON(msgSecCheckResponse{
		ErrMsg: wechatSuccessErrMsg, Result: res, Detail: []msgSecCheckDetail{detail},
		TraceID: newRID(s.now()),
	})
}

func (s *Simulator) riskyWordIn(text string) string {
	text = strings.ToLower(text)
	for _, w := range s.riskyWords {
		if strings.Contains(text, w) {
			return w
		}
	}
	return ""
}
