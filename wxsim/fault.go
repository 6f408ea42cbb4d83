package wxsim

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault makes the next Count calls of one WeChat endpoint misbehave. Delay
// holds the answer back; at most one of ErrCode, HTTPStatus and RawBody
// replaces the answer (none: the call is answered normally, after Delay).
type Fault struct {
	Endpoint   string        // a WeChat endpoint path, e.g. "sns/jscode2session"
	ErrCode    int           // answer {"errcode": ErrCode, "errmsg": ...} with HTTP 200; -1 is "system busy"
	HTTPStatus int           // answer this status (body: RawBody, or the status text)
	RawBody    string        // answer this body (with HTTP 200 unless HTTPStatus is set)
	Delay      time.Duration // hold the answer back this long, or until the client goes away
	Count      int           // how many calls; 0 means 1
}

// answers reports whether the fault replaces the endpoint's answer.
func (f Fault) answers() bool { return f.ErrCode != 0 || f.HTTPStatus != 0 || f.RawBody != "" }

// faultJSON is the control endpoint's shape of a Fault. Pointers tell an
// absent field from a zero one, so that "errcode": 0 can be refused.
type faultJSON struct {
	Endpoint   string  `json:"endpoint"`
	ErrCode    *int    `json:"errcode,omitempty"`
	HTTPStatus *int    `json:"http_status,omitempty"`
	RawBody    *string `json:"raw_body,omitempty"`
	DelayMS    *int64  `json:"delay_ms,omitempty"`
	Count      *int    `json:"count,omitempty"`
}

func (f Fault) toJSON() faultJSON {
	j := faultJSON{Endpoint: f.Endpoint, Count: &f.Count}
	if f.ErrCode != 0 {
		j.ErrCode = &f.ErrCode
	}
	if f.HTTPStatus != 0 {
		j.HTTPStatus = &f.HTTPStatus
	}
	if f.RawBody != "" {
		j.RawBody = &f.RawBody
	}
	if f.Delay != 0 {
		ms := f.Delay.Milliseconds()
		j.DelayMS = &ms
	}
	return j
}

// validate checks f and fills in the default count; it returns the endpoint
// index.
func (f *Fault) validate() (int, error) {
	ep, ok := endpointIndex(f.Endpoint)
	if !ok {
		names := make([]string, len(endpoints))
		for i := range endpoints {
			names[i] = endpoints[i].path
		}
		return 0, fmt.Errorf("wxsim: unknown endpoint %q; one of %s", f.Endpoint, strings.Join(names, ", "))
	}
	f.Endpoint = endpoints[ep].path
	kinds := 0
	if f.ErrCode != 0 {
		kinds++
	}
	if f.HTTPStatus != 0 || f.RawBody != "" {
		kinds++
	}
	switch {
	case kinds > 1:
		return 0, errors.New("wxsim: errcode cannot be combined with http_status or raw_body")
	case kinds == 0 && f.Delay == 0:
		return 0, errors.New("wxsim: a fault needs errcode, http_status, raw_body or delay_ms")
	case f.HTTPStatus != 0 && (f.HTTPStatus < 200 || f.HTTPStatus > 599):
		return 0, errors.New("wxsim: http_status must be 200 to 599")
	case f.Delay < 0 || f.Delay > maxFaultDelay:
		return 0, fmt.Errorf("wxsim: delay must be 0 to %d ms", maxFaultDelay.Milliseconds())
	case f.Count < 0 || f.Count > maxFaultCount:
		return 0, fmt.Errorf("wxsim: count must be 1 to %d", maxFaultCount)
	}
	if f.Count == 0 {
		f.Count = 1
	}
	return ep, nil
}

// faultQueue holds the pending faults of every endpoint, in order. pending
// lets the hot path skip the lock when no fault is queued, the usual case.
type faultQueue struct {
	pending atomic.Int64
	mu      sync.Mutex
	queues  [numEndpoints][]Fault
}

// take consumes one call's worth of the endpoint's first fault.
func (q *faultQueue) take(ep int) (Fault, bool) {
	if q.pending.Load() == 0 {
		return Fault{}, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	queue := q.queues[ep]
	if len(queue) == 0 {
		return Fault{}, false
	}
	f := queue[0]
	if queue[0].Count--; queue[0].Count == 0 {
		queue[0] = Fault{}
		q.queues[ep] = queue[1:]
		q.pending.Add(-1)
	}
	return f, true
}

// AddFault queues f behind the faults already pending for its endpoint.
func (s *Simulator) AddFault(f Fault) error {
	ep, err := f.validate()
	if err != nil {
		return err
	}
	s.faults.mu.Lock()
	s.faults.queues[ep] = append(s.faults.queues[ep], f)
	s.faults.pending.Add(1)
	s.faults.mu.Unlock()
	s.log.Info("wxsim: fault queued", "endpoint", f.Endpoint, "errcode", f.ErrCode,
		"http_status", f.HTTPStatus, "delay", f.Delay, "count", f.Count)
	return nil
}

// ClearFaults drops every pending fault.
func (s *Simulator) ClearFaults() {
	s.faults.mu.Lock()
	for i := range s.faults.queues {
		s.faults.pending.Add(-int64(len(s.faults.queues[i])))
		s.faults.queues[i] = nil
	}
	s.faults.mu.Unlock()
	s.log.Info("wxsim: faults cleared")
}

// Faults returns the pending faults in the order they will apply, endpoint
// by endpoint; Count is what is left of each.
func (s *Simulator) Faults() []Fault {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	var all []Fault
	for _, queue := range s.faults.queues {
		all = append(all, queue...)
	}
	return all
}

// faultResponse is the answer that replaces a faulted call's.
func (s *Simulator) faultResponse(f Fault) response {
	switch {
	case f.ErrCode != 0:
		return s.errcodeAnswer(f.Endpoint, f.ErrCode)
	case f.HTTPStatus != 0:
		body := f.RawBody
		contentType := jsonContentType
		if body == "" {
			body = http.StatusText(f.HTTPStatus)
			contentType = "text/plain; charset=utf-8"
		}
		return response{status: f.HTTPStatus, contentType: contentType, body: []byte(body)}
	default:
		return response{contentType: jsonContentType, body: []byte(f.RawBody)}
	}
}

func (s *Simulator) serveAddFault(r *http.Request) response {
	var j faultJSON
	if resp, ok := decodeControl(r, &j); !ok {
		return resp
	}
	f := Fault{Endpoint: j.Endpoint}
	if j.ErrCode != nil {
		if *j.ErrCode == 0 {
			return controlError(http.StatusBadRequest, 40097, "errcode 0 is success; leave errcode out")
		}
		f.ErrCode = *j.ErrCode
	}
	if j.HTTPStatus != nil {
		if *j.HTTPStatus == 0 {
			return controlError(http.StatusBadRequest, 40097, "http_status must be 200 to 599")
		}
		f.HTTPStatus = *j.HTTPStatus
	}
	if j.RawBody != nil {
		if *j.RawBody == "" {
			return controlError(http.StatusBadRequest, 40097, "raw_body must not be empty")
		}
		f.RawBody = *j.RawBody
	}
	if j.DelayMS != nil {
		if *j.DelayMS < 0 || *j.DelayMS > maxFaultDelay.Milliseconds() {
			return controlError(http.StatusBadRequest, 40097, fmt.Sprintf("delay_ms must be 0 to %d", maxFaultDelay.Milliseconds()))
		}
		f.Delay = time.Duration(*j.DelayMS) * time.Millisecond
	}
	if j.Count != nil {
		if *j.Count < 1 {
			return controlError(http.StatusBadRequest, 40097, "count must be at least 1")
		}
		f.Count = *j.Count
	}
	if err := s.AddFault(f); err != nil {
		return controlError(http.StatusBadRequest, 40097, strings.TrimPrefix(err.Error(), "wxsim: "))
	}
	return response{status: http.StatusNoContent}
}

type faultsResponse struct {
	Faults []faultJSON `json:"faults"`
}

func (s *Simulator) serveListFaults(*http.Request) response {
	resp := faultsResponse{Faults: []faultJSON{}}
	for _, f := range s.Faults() {
		resp.Faults = append(resp.Faults, f.toJSON())
	}
	return controlJSON(resp)
}

// Stats are the simulator's counters since it started.
type Stats struct {
	Calls        map[string]int64 `json:"calls"`         // per WeChat endpoint path, every call including failed and faulted ones
	TokensIssued int64            `json:"tokens_issued"` // distinct access tokens from cgi-bin/token and cgi-bin/stable_token
	// ForcedRefreshes counts the stable_token force_refresh calls that
	// issued a token (refused ones, past WeChat's limits, are not counted).
	ForcedRefreshes int64 `json:"forced_refreshes"`
}

// Stats returns the counters. Every WeChat endpoint appears, with 0 when it
// has not been called.
func (s *Simulator) Stats() Stats {
	st := Stats{
		Calls:           make(map[string]int64, numEndpoints),
		TokensIssued:    s.tokensIssued.Load(),
		ForcedRefreshes: s.forcedRefreshes.Load(),
	}
	for i := range endpoints {
		st.Calls[endpoints[i].path] = s.calls[i].Load()
	}
	return st
}

func (s *Simulator) serveStats(*http.Request) response { return controlJSON(s.Stats()) }
