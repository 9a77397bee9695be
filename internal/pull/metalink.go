package pull

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
)

// metalink is what a Metalink 3 document says about one file: its size,
// digests and http(s) URLs (libostree's ostree-metalink.c).
type metalink struct {
	foundFile, foundOurs bool
	size                 uint64
	sha256, sha512       string
	urls                 []*url.URL
}

// parseMetalink reads the <file name=NAME> entry of a metalink document,
// with libostree's state machine and messages.
func parseMetalink(data []byte, name string) (*metalink, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '<' {
		return nil, errors.New("Document must begin with an element (e.g. <book>)")
	}
	type state int
	const (
		initial state = iota
		inMetalink
		inFiles
		inFile
		inSize
		inVerification
		inHash
		inResources
		inURL
		passthrough
	)
	m := &metalink{}
	st, prev, depth := initial, initial, 0
	hashType := ""
	known := false
	enter := func(s state) {
		if s == passthrough {
			prev = st
		}
		st = s
	}
	attr := func(e xml.StartElement, name string) (string, bool) {
		for _, a := range e.Attr {
			if a.Name.Local == name {
				return a.Value, true
			}
		}
		return "", false
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parsing metalink: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			el := t.Name.Local
			switch st {
			case initial:
				if el == "metalink" {
					enter(inMetalink)
				} else {
					enter(passthrough)
				}
			case inMetalink:
				if el == "files" {
					enter(inFiles)
				} else {
					enter(passthrough)
				}
			case inFiles:
				switch {
				case len(m.urls) > 0:
					enter(passthrough)
				case el == "file":
					fn, ok := attr(t, "name")
					if !ok {
						return nil, fmt.Errorf("element 'file' requires attribute 'name'")
					}
					m.foundFile = true
					if fn != name {
						enter(passthrough)
					} else {
						m.foundOurs = true
						enter(inFile)
					}
				default:
					enter(passthrough)
				}
			case inFile:
				switch el {
				case "size":
					enter(inSize)
				case "verification":
					enter(inVerification)
				case "resources":
					enter(inResources)
				default:
					enter(passthrough)
				}
			case inVerification:
				if el == "hash" {
					enter(inHash)
					hashType, _ = attr(t, "type")
					known = hashType == "sha256" || hashType == "sha512"
				} else {
					enter(passthrough)
				}
			case inResources:
				if m.size == 0 {
					return nil, errors.New("No <size> element found or it is zero")
				}
				if !known {
					return nil, errors.New("No <verification> element with known <hash type=> found")
				}
				if el != "url" {
					enter(passthrough)
					break
				}
				proto, _ := attr(t, "protocol")
				if proto == "http" || proto == "https" {
					enter(inURL)
				} else {
					enter(passthrough)
				}
			case passthrough:
				depth++
			default:
				enter(passthrough)
			}
		case xml.EndElement:
			switch st {
			case inMetalink:
				st = initial
			case inFiles:
				st = inMetalink
			case inFile:
				st = inFiles
			case inSize, inVerification, inResources:
				st = inFile
			case inHash:
				st = inVerification
			case inURL:
				st = inResources
			case passthrough:
				if depth > 0 {
					depth--
				} else {
					st = prev
				}
			}
		case xml.CharData:
			text := string(t)
			switch st {
			case inSize:
				m.size, _ = strconv.ParseUint(strings.TrimSpace(text), 10, 64)
			case inHash:
				if known {
					if hashType == "sha256" {
						m.sha256 = text
					} else {
						m.sha512 = text
					}
				}
			case inURL:
				if u, err := url.Parse(strings.TrimSpace(text)); err == nil && u.Scheme != "" {
					m.urls = append(m.urls, u)
				}
			}
		}
	}
	return m, nil
}

// fetchMetalink downloads the metalink document at u and then the file
// name it describes, from the first of its URLs that gives the right
// size and digest. It returns the URL that worked and the file.
func fetchMetalink(ctx context.Context, client *fetch.Client, u *url.URL, name string) (*url.URL, []byte, error) {
	b, err := client.Fetch(ctx, &fetch.Request{Mirrors: []*url.URL{u}, MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata})
	if err != nil {
		return nil, nil, err
	}
	doc, _ := b.Bytes()
	b.Close()
	m, err := parseMetalink(doc, name)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case !m.foundFile:
		return nil, nil, errors.New("No <file> element found")
	case !m.foundOurs:
		return nil, nil, fmt.Errorf("No <file name='%s'> found: %w", name, errdefs.ErrNotFound)
	case m.sha256 == "" && m.sha512 == "":
		return nil, nil, errors.New("No <verification> hash for sha256 or sha512 found")
	case m.sha256 != "" && !validHex(m.sha256, 64):
		return nil, nil, errors.New("Invalid hash digest for sha256")
	case m.sha512 != "" && !validHex(m.sha512, 128):
		return nil, nil, errors.New("Invalid hash digest for sha512")
	case len(m.urls) == 0:
		return nil, nil, errors.New("No <url method='http'> elements found")
	}
	var last error
	for _, target := range m.urls {
		data, err := m.tryURL(ctx, client, target)
		if err == nil {
			return target, data, nil
		}
		last = err
	}
	return nil, nil, fmt.Errorf("Exhausted %d metalink targets, last error: %v", len(m.urls), last)
}

func (m *metalink) tryURL(ctx context.Context, client *fetch.Client, target *url.URL) ([]byte, error) {
	b, err := client.Fetch(ctx, &fetch.Request{Mirrors: []*url.URL{target}, MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	data, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	if uint64(len(data)) != m.size {
		return nil, fmt.Errorf("Expected size is %d bytes but content is %d bytes", m.size, len(data))
	}
	var want, got string
	if m.sha512 != "" {
		s := sha512.Sum512(data)
		want, got = m.sha512, hex.EncodeToString(s[:])
	} else {
		s := sha256.Sum256(data)
		want, got = m.sha256, hex.EncodeToString(s[:])
	}
	if want != got {
		return nil, fmt.Errorf("Expected checksum is %s but actual is %s", want, got)
	}
	return data, nil
}

func validHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// dirURL is u's parent directory, where a metalink's target summary
// lives.
func dirURL(u *url.URL) *url.URL {
	d := *u
	d.Path = path.Dir(u.Path)
	d.RawPath = ""
	return &d
}
