package pull

import (
	"strings"
	"testing"
)

const goodMetalink = `<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/">
  <deeply><nested>x</nested></deeply>
  <files>
    <file name="other"><size>1</size></file>
    <file name="summary">
      <size>42</size>
      <verification>
        <hash type="md5">00</hash>
        <hash type="sha256">` + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + `</hash>
      </verification>
      <resources maxconnections="1">
        <url protocol="ftp" type="ftp" location="US" preference="100">ftp://x/summary</url>
        <url protocol="http" type="http" location="US" preference="99">http://a/repo/summary</url>
        <url protocol="https" type="https" location="US" preference="98">https://b/repo/summary</url>
      </resources>
    </file>
  </files>
</metalink>`

func TestParseMetalink(t *testing.T) {
	m, err := parseMetalink([]byte(goodMetalink), "summary")
	if err != nil {
		t.Fatal(err)
	}
	if !m.foundFile || !m.foundOurs || m.size != 42 || len(m.sha256) != 64 || m.sha512 != "" {
		t.Errorf("parsed %+v", m)
	}
	if len(m.urls) != 2 || m.urls[0].String() != "http://a/repo/summary" || dirURL(m.urls[1]).String() != "https://b/repo" {
		t.Errorf("urls %v", m.urls)
	}
	for _, tc := range []struct{ doc, want string }{
		{"bacon\n", "Document must begin with an element"},
		{strings.Replace(goodMetalink, "<size>42</size>", "", 1), "No <size> element found or it is zero"},
		{strings.Replace(goodMetalink, `type="sha256"`, `type="sha1"`, 1), "No <verification> element with known <hash type=> found"},
	} {
		if _, err := parseMetalink([]byte(tc.doc), "summary"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
	m, err = parseMetalink([]byte(goodMetalink), "nosuch")
	if err != nil || !m.foundFile || m.foundOurs {
		t.Errorf("other file: %+v, %v", m, err)
	}
}

func FuzzParseMetalink(f *testing.F) {
	f.Add([]byte(goodMetalink))
	f.Add([]byte("<metalink><files><file name=\"summary\"></file></files></metalink>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseMetalink(b, "summary")
	})
}
