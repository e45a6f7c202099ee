// Package api defines the Canary documents gitcanary reads from a config
// repository (gitcanary.dev/v1beta1, flagger.app/v1beta1 and
// flagger.app/v1alpha3) and the status it writes back next to them.
//
// Canary documents are read, never applied: they are parsed here, defaulted
// and validated, and the rest of gitcanary works on the resulting Canary
// values only.
package api
