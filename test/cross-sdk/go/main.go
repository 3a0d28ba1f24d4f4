// A proxy-wasm plugin written with the Go SDK (github.com/proxy-wasm/proxy-wasm-go-sdk), built with the standard
// Go toolchain (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared). test/cross-sdk/go.test.ts loads it in the
// harness: a module from another SDK and another compiler must work there exactly as it does in Envoy.
//
// Plugin configuration: "<header>=<value>". Per request it adds that header to the request, logs the request
// path read through proxy_get_property, counts requests in "go_requests_total" and adds "x-go-sdk: response"
// to the response.
package main

import (
	"strings"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {}

func init() {
	proxywasm.SetVMContext(&vmContext{})
}

type vmContext struct {
	types.DefaultVMContext
}

func (*vmContext) NewPluginContext(contextID uint32) types.PluginContext {
	return &pluginContext{}
}

type pluginContext struct {
	types.DefaultPluginContext
	name     string
	value    string
	requests proxywasm.MetricCounter
}

func (p *pluginContext) OnPluginStart(pluginConfigurationSize int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil {
		proxywasm.LogCriticalf("cannot read the plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	name, value, ok := strings.Cut(string(data), "=")
	if !ok || name == "" {
		proxywasm.LogCriticalf("expected <header>=<value>, got %q", string(data))
		return types.OnPluginStartStatusFailed
	}
	p.name, p.value = name, value
	p.requests = proxywasm.DefineCounterMetric("go_requests_total")
	proxywasm.LogInfof("go plugin configured: %s=%s", name, value)
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) NewHttpContext(contextID uint32) types.HttpContext {
	return &httpContext{plugin: p}
}

type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
}

func (ctx *httpContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	if err := proxywasm.AddHttpRequestHeader(ctx.plugin.name, ctx.plugin.value); err != nil {
		proxywasm.LogCriticalf("cannot add the request header: %v", err)
	}
	path, err := proxywasm.GetProperty([]string{"request", "path"})
	if err != nil {
		proxywasm.LogCriticalf("cannot read request.path: %v", err)
	}
	proxywasm.LogInfof("go plugin saw path %s", string(path))
	ctx.plugin.requests.Increment(1)
	return types.ActionContinue
}

func (ctx *httpContext) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	if err := proxywasm.AddHttpResponseHeader("x-go-sdk", "response"); err != nil {
		proxywasm.LogCriticalf("cannot add the response header: %v", err)
	}
	return types.ActionContinue
}
