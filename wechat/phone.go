package wechat

import (
	"context"
	"net/url"

	"github.com/silenceper/wechat/v2/util"

	"github.com/miniauth/miniauth"
)

// PhoneNumber exchanges a getPhoneNumber button code of user openID. When
// WeChat says the access token is invalid or expired (40001, 42001), it tells
// the token manager, gets a fresh token and retries once.
func (c *Client) PhoneNumber(ctx context.Context, appID, openID, code string) (*miniauth.PhoneInfo, error) {
	if _, err := c.app(appID); err != nil {
		return nil, err
	}
	if openID == "" {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "openid is empty")
	}
	if code == "" {
		return nil, miniauth.Errorf(miniauth.EInvalidCode, "the code is empty")
	}
	tok, err := c.tokens.get(ctx, appID)
	if err != nil {
		return nil, err
	}
	info, errcode, err := c.phoneOnce(ctx, appID, tok, openID, code)
	if errcode == 40001 || errcode == 42001 {
		if tok, err = c.tokens.invalid(ctx, appID, tok); err != nil {
			return nil, err
		}
		info, _, err = c.phoneOnce(ctx, appID, tok, openID, code)
	}
	return info, err
}

type phoneRequest struct {
	Code   string `json:"code"`
	OpenID string `json:"openid"`
}

type phoneResponse struct {
	util.CommonError
	PhoneInfo struct {
		PhoneNumber     string     `json:"phoneNumber"`
		PurePhoneNumber string     `json:"purePhoneNumber"`
		CountryCode     flexString `json:"countryCode"`
	} `json:"phone_info"`
}

func (c *Client) phoneOnce(ctx context.Context, appID, token, openID, code string) (*miniauth.PhoneInfo, int64, error) {
	var res phoneResponse
	u := "https://" + wechatHost + "/" + epPhoneNumber + "?access_token=" + url.QueryEscape(token)
	err := c.do(ctx, appID, epPhoneNumber, func(ctx context.Context) (int64, string, error) {
		body, err := util.PostJSONContext(ctx, u, phoneRequest{Code: code, OpenID: openID})
		if err != nil {
			return 0, "", err
		}
		if err := util.DecodeWithError(body, &res, epPhoneNumber); err != nil {
			if res.ErrCode != 0 {
				return res.ErrCode, res.ErrMsg, err
			}
			return 0, "", errBadJSON
		}
		if res.PhoneInfo.PurePhoneNumber == "" {
			return 0, "", errBadJSON
		}
		return 0, "", nil
	})
	if err != nil {
		return nil, res.ErrCode, err
	}
	p := res.PhoneInfo
	return &miniauth.PhoneInfo{PhoneNumber: p.PhoneNumber, PurePhoneNumber: p.PurePhoneNumber, CountryCode: string(p.CountryCode)}, 0, nil
}
