// Package browser holds the console's end-to-end tests: headless Chromium
// (chromedp) against a real `omswatch run` on the OMS simulator. They are
// behind the build tag browser (`go test -tags browser ./console/browser`),
// which .ci/run runs after installing Chromium; see docs/CONSOLE.md.
package browser
