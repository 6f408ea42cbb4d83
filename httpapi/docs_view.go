package httpapi

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// docsViewOf reads the OpenAPI document into what the /docs page shows:
// the paths in order, the operations of a path that say the same merged
// into one (verify answers every method), the schemas by name.
func docsViewOf(document []byte) docsView {
	var doc docOpenAPI
	if err := json.Unmarshal(document, &doc); err != nil {
		panic("httpapi: the OpenAPI document does not decode: " + err.Error()) // we encoded it
	}
	view := docsView{Title: doc.Info.Title, Description: doc.Info.Description, Version: doc.OpenAPI}
	for _, path := range slices.Sorted(maps.Keys(doc.Paths)) {
		view.Ops = append(view.Ops, docsOpsOf(path, doc.Paths[path])...)
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		view.Schemas = append(view.Schemas, docsSchema{Name: name, Schema: indent(doc.Components.Schemas[name])})
	}
	return view
}

func docsOpsOf(path string, item map[string]docOperation) []docsOp {
	var ops []docsOp
	seen := map[string]int{} // summary and description → index in ops
	for _, method := range docsMethods {
		op, ok := item[method]
		if !ok {
			continue
		}
		key := op.Summary + "\x00" + op.Description
		if i, ok := seen[key]; ok {
			ops[i].Methods = append(ops[i].Methods, strings.ToUpper(method))
			continue
		}
		seen[key] = len(ops)
		ops = append(ops, docsOpOf(path, method, op))
	}
	return ops
}

func docsOpOf(path, method string, op docOperation) docsOp {
	out := docsOp{
		Anchor:  strings.Trim(strings.NewReplacer("/", "-", "{", "", "}", "", ".", "-").Replace(method+path), "-"),
		Path:    path,
		Methods: []string{strings.ToUpper(method)},
		Summary: op.Summary, Description: op.Description,
	}
	if len(op.Tags) > 0 {
		out.Tag = op.Tags[0]
	}
	for _, sec := range op.Security {
		out.Auth = strings.Join(slices.Sorted(maps.Keys(sec)), ", ")
	}
	for _, p := range op.Parameters {
		out.Params = append(out.Params, docsParam{Name: p.Name, In: p.In, Schema: string(p.Schema), Description: p.Description})
	}
	if op.RequestBody != nil {
		for _, mediaType := range slices.Sorted(maps.Keys(op.RequestBody.Content)) {
			out.Request = bodyOf(mediaType, op.RequestBody.Content[mediaType].Schema)
		}
	}
	for _, status := range slices.Sorted(maps.Keys(op.Responses)) {
		r := op.Responses[status]
		resp := docsResponse{Status: status, Description: r.Description}
		for _, mediaType := range slices.Sorted(maps.Keys(r.Content)) {
			resp.Bodies = append(resp.Bodies, *bodyOf(mediaType, r.Content[mediaType].Schema))
		}
		out.Responses = append(out.Responses, resp)
	}
	return out
}

// bodyOf links a schema that only refers to a named one to it.
func bodyOf(mediaType string, raw json.RawMessage) *docsBody {
	var only struct {
		Ref string `json:"$ref"`
	}
	if json.Unmarshal(raw, &only) == nil && only.Ref != "" && !strings.Contains(string(raw), ",") {
		return &docsBody{MediaType: mediaType, Ref: strings.TrimPrefix(only.Ref, "#/components/schemas/")}
	}
	return &docsBody{MediaType: mediaType, Schema: indent(raw)}
}

func indent(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
