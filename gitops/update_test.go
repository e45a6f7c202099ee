package gitops

import (
	"strings"
	"testing"
)

func TestUpdateDecidesAgainAfterAConflict(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"apps/podinfo/deploy.yaml": "image: podinfo:6.0.0\n"})
	r := openTest(t, remote)
	calls := 0
	tip, err := r.Update(testContext(t), testAuthor, testTime, func(snap *Snapshot) (map[string][]byte, string, error) {
		calls++
		if calls == 1 {
			// Someone else pushes while this edit is being decided.
			otherCommit(t, remote, map[string]string{"README.md": "hello\n"}, "docs")
		}
		if _, err := snap.ReadFile("README.md"); (err == nil) != (calls == 2) {
			t.Errorf("call %d: the edit did not see the branch head", calls)
		}
		return map[string][]byte{"apps/podinfo/deploy.yaml": []byte("image: podinfo:6.0.1\n")}, "Bump podinfo to 6.0.1", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("edit called %d times, want 2 (once more after the rejected push)", calls)
	}
	if got := run(t, remote, "rev-parse", "main"); got != tip.String() {
		t.Errorf("remote main %s, want the update %s", got, tip)
	}
	if log := run(t, remote, "log", "--format=%s", "main"); !strings.HasPrefix(log, "Bump podinfo to 6.0.1\ndocs\n") {
		t.Errorf("history:\n%s", log)
	}
}
