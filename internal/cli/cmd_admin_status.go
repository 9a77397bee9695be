package cli

import (
	"encoding/json"
	"fmt"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/sysroot"
)

func init() { adminSetups["status"] = setupAdminStatus }

// deploymentStatus is one deployment in `admin status --json`.
type deploymentStatus struct {
	Index     int    `json:"index"`
	Stateroot string `json:"stateroot"`
	Checksum  string `json:"checksum"`
	Serial    int    `json:"serial"`
	Booted    bool   `json:"booted"`
	Pending   bool   `json:"pending"`
	Rollback  bool   `json:"rollback"`
	Staged    bool   `json:"staged"`
	Pinned    bool   `json:"pinned"`
	Unlocked  string `json:"unlocked"`
	Version   string `json:"version,omitempty"`
	Refspec   string `json:"origin_refspec,omitempty"`
	BootCsum  string `json:"bootcsum,omitempty"`
	Path      string `json:"path"`
}

// setupAdminStatus is `ostree admin status`.
func setupAdminStatus(in *Invocation) func([]string) error {
	var verify, asJSON bool
	in.Flag("verify", 'V', "Print the commit verification status", &verify)
	in.Flag("json", 0, "Print the deployments as JSON", &asJSON)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(adminFlags{Unlocked: true})
		if err != nil {
			return err
		}
		defer release()
		r, err := s.Repo(in.Ctx)
		if err != nil {
			return err
		}
		var pending, rollback *sysroot.Deployment
		if s.Booted != nil {
			pending, rollback = s.Pending("")
		}
		var out []deploymentStatus
		for _, d := range s.Deployments {
			st := deploymentStatus{
				Index: d.Index, Stateroot: d.Stateroot, Checksum: d.Csum, Serial: d.Serial,
				Booted: d.Equal(s.Booted), Pending: d.Equal(pending), Rollback: d.Equal(rollback),
				Staged: d.Staged, Pinned: d.Pinned(), Unlocked: d.Unlocked, BootCsum: d.BootCsum,
				Path: s.Abs(d.RelPath()),
			}
			var sourceTitle string
			if c, err := object.ParseChecksum(d.Csum); err == nil {
				if cm, err := r.LoadCommit(in.Ctx, c); err == nil {
					st.Version, _ = cm.Metadata.String("version")
					sourceTitle, _ = cm.Metadata.String("ostree.source-title")
				}
			}
			if d.Origin != nil {
				st.Refspec, _ = d.Origin.String("origin", "refspec")
			}
			out = append(out, st)
			if asJSON {
				continue
			}
			mark, state := ' ', ""
			if st.Booted {
				mark = '*'
			}
			switch {
			case st.Staged:
				state = " (staged)"
			case st.Pending:
				state = " (pending)"
			case st.Rollback:
				state = " (rollback)"
			}
			fmt.Fprintf(in.Stdout, "%c %s %s.%d%s\n", mark, d.Stateroot, d.Csum, d.Serial, state)
			if st.Version != "" {
				fmt.Fprintf(in.Stdout, "    Version: %s\n", st.Version)
			}
			if d.Unlocked != sysroot.UnlockedNone && d.Unlocked != "" {
				fmt.Fprintf(in.Stdout, "    Unlocked: %s\n", d.Unlocked)
			}
			if st.Pinned {
				fmt.Fprintln(in.Stdout, "    Pinned: yes")
			}
			switch {
			case d.Origin == nil:
				fmt.Fprintln(in.Stdout, "    origin: none")
			case st.Refspec == "":
				fmt.Fprintln(in.Stdout, "    origin: <unknown origin type>")
			default:
				fmt.Fprintf(in.Stdout, "    origin refspec: %s\n", st.Refspec)
			}
			if d.Origin != nil && sourceTitle != "" {
				fmt.Fprintf(in.Stdout, "    `- %s\n", sourceTitle)
			}
		}
		if asJSON {
			if out == nil {
				out = []deploymentStatus{}
			}
			enc := json.NewEncoder(in.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		}
		if len(s.Deployments) == 0 {
			fmt.Fprintln(in.Stdout, "No deployments.")
		}
		return nil
	}
}
