package omssim

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// maxSkew is how far a request's timestamp may be from the server's clock,
// and how long a signature nonce stays used; both are 15 minutes at Alibaba.
const maxSkew = 15 * time.Minute

const (
	v3Algorithm = "ACS3-HMAC-SHA256"
	timeLayout  = "2006-01-02T15:04:05Z"
)

// verifier checks Alibaba Cloud request signatures, V3 (Authorization header)
// and V1 (Signature parameter), against configured AccessKey pairs.
type verifier struct {
	secrets map[string]string // AccessKey id -> secret
	now     func() time.Time
	nonces  *nonceCache
}

// verify authenticates a cloud request and returns the AccessKey id used.
// params holds query and form parameters merged; body is the raw body.
func (v *verifier) verify(r *http.Request, body []byte, params url.Values) (string, *gatewayError) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		return v.verifyV3(r, auth, body)
	}
	if params.Get("Signature") != "" {
		return v.verifyV1(r.Method, params)
	}
	return "", errMissingParameter("Signature")
}

// verifyV3 rebuilds the ACS3-HMAC-SHA256 canonical request from what arrived
// and compares signatures. It requires host, content-type (when sent) and
// every x-acs-* header to be signed, as the V3 specification does.
func (v *verifier) verifyV3(r *http.Request, auth string, body []byte) (string, *gatewayError) {
	cred, signed, sig, gerr := parseV3Authorization(auth)
	if gerr != nil {
		return "", gerr
	}
	secret, ok := v.secrets[cred]
	if !ok {
		return "", errAccessKeyNotFound()
	}
	date, nonce := r.Header.Get("x-acs-date"), r.Header.Get("x-acs-signature-nonce")
	switch {
	case date == "":
		return "", errMissingParameter("x-acs-date")
	case nonce == "":
		return "", errMissingParameter("x-acs-signature-nonce")
	}
	if gerr := v.checkTime(date); gerr != nil {
		return "", gerr
	}
	payloadHash := r.Header.Get("x-acs-content-sha256")
	if payloadHash == "" {
		return "", errMissingParameter("x-acs-content-sha256")
	}
	sum := sha256.Sum256(body)
	if !strings.EqualFold(payloadHash, hex.EncodeToString(sum[:])) {
		return "", gwErr(http.StatusBadRequest, "SignatureDoesNotMatch",
			"The x-acs-content-sha256 header does not match the SHA-256 of the request body.")
	}
	if gerr := checkSignedHeaders(r, signed); gerr != nil {
		return "", gerr
	}
	canonical := strings.Join([]string{
		r.Method,
		canonicalURI(r.URL.EscapedPath()),
		canonicalQuery(r.URL.Query()),
		canonicalHeaders(r, signed),
		strings.Join(signed, ";"),
		payloadHash,
	}, "\n")
	hashed := sha256.Sum256([]byte(canonical))
	stringToSign := v3Algorithm + "\n" + hex.EncodeToString(hashed[:])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return "", errSignature(stringToSign)
	}
	if !v.nonces.use(cred+"\x00"+nonce, v.now()) {
		return "", errNonceUsed()
	}
	return cred, nil
}

// parseV3Authorization splits "ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..".
func parseV3Authorization(auth string) (cred string, signed []string, sig string, gerr *gatewayError) {
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != v3Algorithm {
		return "", nil, "", errIncompleteSignature("Unsupported signature algorithm " + alg + "; want " + v3Algorithm + ".")
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = val
		case "SignedHeaders":
			for h := range strings.SplitSeq(val, ";") {
				if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
					signed = append(signed, h)
				}
			}
		case "Signature":
			sig = val
		}
	}
	if cred == "" || len(signed) == 0 || sig == "" {
		return "", nil, "", errIncompleteSignature("The Authorization header needs Credential, SignedHeaders and Signature.")
	}
	sort.Strings(signed)
	return cred, signed, sig, nil
}

// checkSignedHeaders refuses a signature that leaves out a header V3 says
// must be covered, so a client cannot get unsigned x-acs-* values through.
func checkSignedHeaders(r *http.Request, signed []string) *gatewayError {
	has := make(map[string]bool, len(signed))
	for _, h := range signed {
		has[h] = true
	}
	need := []string{"host"}
	if r.Header.Get("Content-Type") != "" {
		need = append(need, "content-type")
	}
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-acs-") {
			need = append(need, l)
		}
	}
	for _, h := range need {
		if !has[h] {
			return errIncompleteSignature("Header " + h + " must be in SignedHeaders.")
		}
	}
	return nil
}

// canonicalHeaders writes "name:value\n" for each signed header; several
// values of one header are sorted and joined with commas.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, h := range signed {
		var vals []string
		if h == "host" {
			vals = []string{r.Host}
		} else {
			for _, v := range r.Header.Values(h) {
				vals = append(vals, strings.TrimSpace(v))
			}
			sort.Strings(vals)
		}
		b.WriteString(h + ":" + strings.Join(vals, ",") + "\n")
	}
	return b.String()
}

func canonicalURI(path string) string {
	if path == "" {
		return "/"
	}
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(path)
}

// canonicalQuery is the sorted, RFC 3986-encoded query of V3 and V1.
func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, percentEncode(k)+"="+percentEncode(v))
		}
	}
	return strings.Join(parts, "&")
}

// percentEncode is RFC 3986 encoding as Alibaba specifies it: unreserved
// characters kept, space as %20, everything else %XX.
func percentEncode(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

// verifyV1 checks the HMAC-SHA1 Signature parameter over all other query and
// form parameters.
func (v *verifier) verifyV1(method string, params url.Values) (string, *gatewayError) {
	for _, name := range []string{"AccessKeyId", "Timestamp", "SignatureNonce", "SignatureMethod"} {
		if params.Get(name) == "" {
			return "", errMissingParameter(name)
		}
	}
	if m := params.Get("SignatureMethod"); m != "HMAC-SHA1" {
		return "", errIncompleteSignature("Unsupported SignatureMethod " + m + "; want HMAC-SHA1.")
	}
	if sv := params.Get("SignatureVersion"); sv != "" && sv != "1.0" {
		return "", errIncompleteSignature("Unsupported SignatureVersion " + sv + "; want 1.0.")
	}
	ak := params.Get("AccessKeyId")
	secret, ok := v.secrets[ak]
	if !ok {
		return "", errAccessKeyNotFound()
	}
	if gerr := v.checkTime(params.Get("Timestamp")); gerr != nil {
		return "", gerr
	}
	signedParams := url.Values{}
	for k, vals := range params {
		if k != "Signature" {
			signedParams[k] = vals
		}
	}
	stringToSign := method + "&%2F&" + percentEncode(canonicalQuery(signedParams))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	got, err := base64.StdEncoding.DecodeString(params.Get("Signature"))
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return "", errSignature(stringToSign)
	}
	if !v.nonces.use(ak+"\x00"+params.Get("SignatureNonce"), v.now()) {
		return "", errNonceUsed()
	}
	return ak, nil
}

// checkTime refuses timestamps more than maxSkew away from the server clock.
func (v *verifier) checkTime(ts string) *gatewayError {
	t, err := time.Parse(timeLayout, ts)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, ts); err != nil {
			return errIllegalTimestamp(ts)
		}
	}
	if d := v.now().Sub(t); d > maxSkew || d < -maxSkew {
		return errIllegalTimestamp(ts)
	}
	return nil
}
