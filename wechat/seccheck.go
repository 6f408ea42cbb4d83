package wechat

import (
	"context"

	"github.com/silenceper/wechat/v2/miniprogram/config"
	mpcontext "github.com/silenceper/wechat/v2/miniprogram/context"
	"github.com/silenceper/wechat/v2/miniprogram/security"
)

const epMsgSecCheck = "wxa/msg_sec_check"

// errcodeRisky is msg_sec_check's "content is risky" errcode (version 1
// answered it; version 2 answers a result, but some answers still carry it).
const errcodeRisky = 87014

// CheckProfileText asks msg_sec_check (version 2, scene 1: profile) whether
// user openID's text may be shown. Only "risky" fails it: "review" means
// WeChat is unsure, and a nickname is not held back for that. When WeChat
// says the access token is invalid or expired, it gets a fresh one and
// retries once, as PhoneNumber does.
func (c *Client) CheckProfileText(ctx context.Context, appID, openID, text string) (bool, error) {
	if _, err := c.app(appID); err != nil {
		return false, err
	}
	tok, err := c.tokens.get(ctx, appID)
	if err != nil {
		return false, err
	}
	pass, errcode, err := c.checkOnce(ctx, appID, tok, openID, text)
	if errcode == 40001 || errcode == 42001 {
		if tok, err = c.tokens.invalid(ctx, appID, tok); err != nil {
			return false, err
		}
		pass, _, err = c.checkOnce(ctx, appID, tok, openID, text)
	}
	return pass, err
}

func (c *Client) checkOnce(ctx context.Context, appID, token, openID, text string) (pass bool, errcode int64, err error) {
	// The SDK's call takes its token from the context's handle: give it
	// exactly the one we may have to report as invalid.
	sec := security.NewSecurity(&mpcontext.Context{
		Config:                   &config.Config{AppID: appID, Cache: noCache{}},
		AccessTokenContextHandle: fixedToken(token),
	})
	var res security.MsgCheckResponse
	err = c.do(ctx, appID, epMsgSecCheck, func(ctx context.Context) (int64, string, error) {
		var err error
		res, err = sec.MsgCheckContext(ctx, &security.MsgCheckRequest{
			OpenID: openID, Scene: security.MsgSceneMaterial, Content: text,
		})
		switch {
		case res.ErrCode == errcodeRisky:
			return 0, "", nil
		case res.ErrCode != 0:
			return res.ErrCode, res.ErrMsg, err
		case err != nil && answered200(ctx):
			return 0, "", errBadJSON // the SDK's decoding error says no more
		case err != nil:
			return 0, "", err
		case res.Result.Suggest == "":
			return 0, "", errBadJSON
		}
		return 0, "", nil
	})
	if err != nil {
		return false, res.ErrCode, err
	}
	risky := res.ErrCode == errcodeRisky || res.Result.Suggest == security.CheckSuggestRisky
	return !risky, 0, nil
}

// fixedToken hands the SDK one given access token.
type fixedToken string

func (t fixedToken) GetAccessToken() (string, error) { return string(t), nil }

func (t fixedToken) GetAccessTokenContext(context.Context) (string, error) { return string(t), nil }

// answered200 reports whether the call in ctx got HTTP 200 from WeChat.
func answered200(ctx context.Context) bool {
	c, ok := ctx.Value(callKey{}).(*call)
	return ok && c.status.Load() == 200
}
