package config

import (
	"reflect"

	"github.com/omswatch/omswatch/secret"
)

// Secrets returns every secret the configuration holds (OMS keys and
// passwords, NATS credentials, Slack tokens and webhook URLs, webhook URLs,
// signing secrets and headers), so that a secret.Redactor can mask them
// wherever they might appear in text from elsewhere. A section added later
// is covered without a change here: the walk finds every secret.String.
func (c *Config) Secrets() []secret.String {
	var out []secret.String
	collectSecrets(reflect.ValueOf(c).Elem(), &out)
	return out
}

var secretType = reflect.TypeFor[secret.String]()

func collectSecrets(v reflect.Value, out *[]secret.String) {
	if v.Type() == secretType {
		if s := v.Interface().(secret.String); !s.IsZero() {
			*out = append(*out, s)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				collectSecrets(v.Field(i), out)
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			collectSecrets(it.Value(), out)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			collectSecrets(v.Index(i), out)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collectSecrets(v.Elem(), out)
		}
	}
}
