package setting

// ValidPort reports a TCP port number, 1 to 65535, written in digits.
func ValidPort(p string) bool {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return false
		}
	}
	return p != "" && n > 0
}
