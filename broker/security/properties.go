package security

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Property is one key=value of a Java properties file, with its line.
type Property struct {
	Key, Value string
	Line       int
}

// maxPropertiesSize bounds a users/groups file; they are small, and the
// limit keeps a wrong path (a device, a log) from being read whole.
const maxPropertiesSize = 1 << 20

// ParseProperties reads the Java properties format ActiveMQ's
// users.properties, groups.properties and users-dn files use: `key=value`,
// `key: value` or `key value`; `#` and `!` comments; a trailing backslash
// continues a line; \t \n \r \f \uXXXX and a backslash before any other
// character escape it. Errors name the line and never quote a value.
func ParseProperties(r io.Reader) ([]Property, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxPropertiesSize+1))
	sc.Buffer(make([]byte, 0, 4096), maxPropertiesSize+1)
	var out []Property
	n, size := 0, 0
	for sc.Scan() {
		n++
		size += len(sc.Bytes()) + 1
		if size > maxPropertiesSize {
			return nil, fmt.Errorf("more than %d bytes; is this a properties file?", maxPropertiesSize)
		}
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		start := n
		for continued(line) && sc.Scan() {
			n++
			size += len(sc.Bytes()) + 1
			line = line[:len(line)-1] + strings.TrimLeft(sc.Text(), " \t\f")
		}
		if continued(line) {
			line = line[:len(line)-1]
		}
		k, v, err := splitProperty(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", start, err)
		}
		out = append(out, Property{Key: k, Value: v, Line: start})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n+1, maxPropertiesSize)
		}
		return nil, err
	}
	return out, nil
}

// continued reports an odd number of trailing backslashes.
func continued(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func splitProperty(line string) (key, value string, err error) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	rawKey := line[:min(i, len(line))]
	rest := strings.TrimLeft(line[min(i, len(line)):], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	if key, err = unescape(rawKey); err != nil {
		return "", "", err
	}
	if value, err = unescape(rest); err != nil {
		return "", "", err
	}
	if key == "" {
		return "", "", errors.New("a property with no name")
	}
	return key, value, nil
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", errors.New(`\u needs four hex digits`)
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", errors.New(`\u needs four hex digits`)
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// readPropertiesFile reads a properties file, refusing anything but a
// regular file.
func readPropertiesFile(path string) ([]Property, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ps, err := ParseProperties(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ps, nil
}

// loadFiles merges UsersFile, GroupsFile and CertificatesFile into a copy
// of c. A name given both in a file and in the configuration is an error:
// which one wins would be a surprise either way.
func (c *Config) loadFiles() (*Config, error) {
	if c.UsersFile == "" && c.GroupsFile == "" && c.CertificatesFile == "" {
		return c, nil
	}
	out := c.Clone()
	load := func(field, path string, dst *map[string]string) error {
		if path == "" {
			return nil
		}
		ps, err := readPropertiesFile(path)
		if err != nil {
			return fmt.Errorf("security: %s: %w", field, err)
		}
		if *dst == nil {
			*dst = map[string]string{}
		}
		for _, p := range ps {
			if _, dup := (*dst)[p.Key]; dup {
				return fmt.Errorf("security: %s: %s line %d: %q is given twice (or also in the configuration)", field, path, p.Line, p.Key)
			}
			(*dst)[p.Key] = p.Value
		}
		return nil
	}
	if err := load("UsersFile", c.UsersFile, &out.Users); err != nil {
		return nil, err
	}
	if err := load("CertificatesFile", c.CertificatesFile, &out.Certificates); err != nil {
		return nil, err
	}
	if c.GroupsFile != "" {
		ps, err := readPropertiesFile(c.GroupsFile)
		if err != nil {
			return nil, fmt.Errorf("security: GroupsFile: %w", err)
		}
		if out.Groups == nil {
			out.Groups = map[string][]string{}
		}
		for _, p := range ps {
			if _, dup := out.Groups[p.Key]; dup {
				return nil, fmt.Errorf("security: GroupsFile: %s line %d: group %q is given twice (or also in the configuration)", c.GroupsFile, p.Line, p.Key)
			}
			var members []string
			for _, m := range strings.Split(p.Value, ",") {
				if m = strings.TrimSpace(m); m != "" {
					members = append(members, m)
				}
			}
			out.Groups[p.Key] = members
		}
	}
	out.UsersFile, out.GroupsFile, out.CertificatesFile = "", "", ""
	return out, nil
}
