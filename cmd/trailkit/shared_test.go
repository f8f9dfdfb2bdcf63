package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/awscli"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// sharedT0 is when the shared trails' records start.
var sharedT0 = time.Date(2026, 6, 1, 9, 10, 0, 0, time.UTC)

const sharedAccount = "111122223333"

var sharedRegions = []string{"eu-west-1", "us-east-1"}

// sharedFixture is a built trailkit, a signing key and a MinIO bucket for
// trails written by several processes.
type sharedFixture struct {
	bin, priv, pub string
	cli            *awscli.CLI
	env            []string // MinIO endpoint and credentials, the AWS CLI's config
	srv            *miniotest.Server
	cliOut         string // the output of the last awsValidate, per region
	bucket         string
	key            digest.PublicKey
	dir            string
}

func newSharedFixture(t *testing.T) *sharedFixture {
	t.Helper()
	f := &sharedFixture{cli: awscli.New(t), bin: buildTrailkit(t), dir: t.TempDir(), bucket: "shared"}
	key, pub := keygenPair(t, f.bin)
	f.pub = pub
	f.key = digest.NewPublicKey(&key.PublicKey)
	pemKey, err := digest.MarshalPrivateKeyPEM(key)
	require.NoError(t, err)
	f.priv = filepath.Join(f.dir, "key.pem")
	require.NoError(t, os.WriteFile(f.priv, pemKey, 0o600))
	f.srv = miniotest.Start(t)
	f.srv.CreateBucket(t, f.bucket)
	f.env = append(f.srv.Env(), f.cli.Env...)
	f.cli.SetKeys(t, digest.PublicKeyList{PublicKeyList: []digest.PublicKey{f.key}})
	return f
}

// sharedInputs writes n records over `hours` hours, alternating between
// the two regions, split round-robin into parts files; it returns the
// files and the record ids.
func sharedInputs(t *testing.T, dir string, seed uint64, t0 time.Time, n, parts int, hours time.Duration) ([]string, []string) {
	t.Helper()
	g := synth.New(seed, t0)
	g.Account = sharedAccount
	bufs := make([]bytes.Buffer, parts)
	var ids []string
	step := hours / time.Duration(n)
	for i := range n {
		r := g.Record()
		r.EventTime = t0.Add(time.Duration(i) * step)
		r.AWSRegion = sharedRegions[i%2]
		ids = append(ids, r.EventID)
		bufs[i%parts].Write(r.AppendJSON(nil))
		bufs[i%parts].WriteByte('\n')
	}
	files := make([]string, parts)
	for i := range bufs {
		files[i] = filepath.Join(dir, fmt.Sprintf("part%d-%d.jsonl", seed, i))
		require.NoError(t, os.WriteFile(files[i], bufs[i].Bytes(), 0o644))
	}
	return files, ids
}

// replayArgs are the arguments of a writer of the shared trail.
func (f *sharedFixture) replayArgs(dest []string, input string) []string {
	return append(append([]string{"replay", "--account-id", sharedAccount, "--region", "us-east-1", "--trail-name", "shared",
		"--all", "--quiet", "--private-key", f.priv}, dest...), input)
}

func (f *sharedFixture) sealArgs(dest []string, extra ...string) []string {
	return append(append([]string{"seal", "--account-id", sharedAccount, "--region", "us-east-1", "--trail-name", "shared",
		"--private-key", f.priv}, dest...), extra...)
}

// start starts the binary with the fixture's environment and extra
// variables.
func (f *sharedFixture) start(t *testing.T, extraEnv []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(f.bin, args...)
	cmd.Env = append(append(os.Environ(), f.env...), extraEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	return cmd, &out
}

// runAll runs the commands at once and requires each to succeed.
func (f *sharedFixture) runAll(t *testing.T, cmds ...[]string) {
	t.Helper()
	type run struct {
		cmd *exec.Cmd
		out *bytes.Buffer
	}
	var runs []run
	for _, args := range cmds {
		c, out := f.start(t, nil, args...)
		runs = append(runs, run{c, out})
	}
	for i, r := range runs {
		require.NoError(t, r.cmd.Wait(), "%v:\n%s", cmds[i][:1], r.out.String())
	}
}

// chainStats is what checkSharedChain counted.
type chainStats struct {
	digests, logs                int
	forks, gaps, unlisted, twice int
	records                      map[string]int
	// chain is a line per digest (region, period, files listed), for
	// the messages of the assertions that compare with a validator.
	chain string
	// newest is the end of the newest digest.
	newest time.Time
}

// rangeEnd returns the end of the range a validation of the whole bucket
// is given: end, or the end of the newest digest if later. Writers
// sharing a trail list the files they deliver after another writer sealed
// their hour in the next hour's digest, and a stopping writer seals it at
// once (a replay's clock stops at its last record): the chain can end
// hours after the last record, one hour per writer that lost a race, and
// the AWS CLI (as trailkit validate) lists the digests ending up to an
// hour after the range, walking back from the newest: a digest ending
// after that, and the files it lists, would not be counted.
func (cs chainStats) rangeEnd(end time.Time) time.Time {
	if cs.newest.After(end) {
		return cs.newest
	}
	return end
}

// checkSharedChain reads every object under prefix and checks, per region,
// that the digests form one linear chain of consecutive hours (each
// linking to the one before and starting where it ended) and that every
// log file is listed by exactly one digest. It returns the counts (the
// records by event id), asserting none of the inconsistencies.
func checkSharedChain(t *testing.T, st sink.Store, prefix string) chainStats {
	t.Helper()
	ctx := context.Background()
	cs := chainStats{records: map[string]int{}}
	logs := map[string]bool{}
	byRegion := map[string][]*digest.File{}
	for info, err := range st.List(ctx, prefix, "") {
		require.NoError(t, err)
		if strings.Contains(info.Key, "/CloudTrail-Digest/") {
			f, _, _, err := digest.Get(ctx, st, info.Key)
			require.NoError(t, err)
			region := strings.Split(strings.TrimPrefix(info.Key, prefix), "/")[3]
			byRegion[region] = append(byRegion[region], f)
			cs.digests++
			continue
		}
		if !strings.Contains(info.Key, "/CloudTrail/") && !strings.Contains(info.Key, "/CloudTrail-Insight/") {
			continue // not a log file (the trail's writability check file)
		}
		logs[info.Key] = true
		body, _, err := sink.ReadAll(ctx, st, info.Key, 1<<30)
		require.NoError(t, err)
		for r, err := range event.Read(bytes.NewReader(body)) {
			require.NoError(t, err, info.Key)
			cs.records[r.EventID]++
		}
	}
	cs.logs = len(logs)
	listed := map[string]int{}
	for region, fs := range byRegion {
		slices.SortFunc(fs, func(a, b *digest.File) int { return a.DigestEndTime.Compare(b.DigestEndTime) })
		prevs := map[string]bool{}
		for i, f := range fs {
			if f.DigestEndTime.After(cs.newest) {
				cs.newest = f.DigestEndTime
			}
			cs.chain += fmt.Sprintf("%s %s to %s: %d log files (%s)\n", region, f.DigestStartTime.Format(time.RFC3339),
				f.DigestEndTime.Format(time.RFC3339), len(f.LogFiles), f.DigestS3Object)
			assert.Zero(t, f.DigestEndTime.Sub(f.DigestEndTime.Truncate(time.Hour)), "digest ends on the hour: %s", f.DigestS3Object)
			if prevs[f.PreviousDigestS3Object] {
				cs.forks++
			}
			prevs[f.PreviousDigestS3Object] = true
			if i > 0 {
				p := fs[i-1]
				if f.PreviousDigestS3Object != p.DigestS3Object || !f.DigestStartTime.Equal(p.DigestEndTime) ||
					f.DigestEndTime.Sub(p.DigestEndTime) != time.Hour {
					cs.gaps++
					t.Errorf("%s: %s (%s to %s, previous %s) does not follow %s", region, f.DigestS3Object,
						f.DigestStartTime, f.DigestEndTime, f.PreviousDigestS3Object, p.DigestS3Object)
				}
			}
			for _, l := range f.LogFiles {
				listed[l.S3Object]++
				assert.True(t, logs[l.S3Object], "listed file exists: %s", l.S3Object)
			}
		}
	}
	for key := range logs {
		switch listed[key] {
		case 0:
			cs.unlisted++
			t.Errorf("log file in no digest: %s", key)
		case 1:
		default:
			cs.twice++
			t.Errorf("log file in %d digests: %s", listed[key], key)
		}
	}
	assert.Zero(t, cs.forks, "forks")
	assert.Len(t, byRegion, len(sharedRegions), "a chain per region")
	return cs
}

// awsValidate runs the AWS CLI's validate-logs on the bucket (under
// prefix), once per region (the CLI validates the chain of the region it
// is given with --region), and returns the valid and total digest and log
// files it counts over the regions.
func (f *sharedFixture) awsValidate(t *testing.T, prefix string, end time.Time) (digests, logs [2]int) {
	t.Helper()
	f.cliOut = ""
	for _, region := range sharedRegions {
		args := []string{"cloudtrail", "validate-logs", "--region", region,
			"--trail-arn", "arn:aws:cloudtrail:us-east-1:" + sharedAccount + ":trail/shared",
			"--s3-bucket", f.bucket, "--verbose", "--start-time", sharedT0.Add(-time.Hour).Format(time.RFC3339),
			"--end-time", end.Format(time.RFC3339)}
		if prefix != "" {
			args = append(args, "--s3-prefix", strings.TrimSuffix(prefix, "/"))
		}
		cli := f.cli.Command(f.srv.Env(), args...)
		var stdout, stderr bytes.Buffer
		cli.Stdout, cli.Stderr = &stdout, &stderr
		require.NoError(t, cli.Run(), "aws cloudtrail validate-logs --region %s:\n%s\n%s", region, stdout.String(), stderr.String())
		assert.NotContains(t, stdout.String()+stderr.String(), "INVALID")
		f.cliOut += "aws " + strings.Join(args, " ") + ":\n" + stdout.String() + stderr.String()
		d := regexp.MustCompile(`(\d+)/(\d+) digest files valid`).FindStringSubmatch(stdout.String())
		l := regexp.MustCompile(`(\d+)/(\d+) log files valid`).FindStringSubmatch(stdout.String())
		require.NotNil(t, d, stdout.String())
		require.NotNil(t, l, stdout.String())
		atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
		digests[0] += atoi(d[1])
		digests[1] += atoi(d[2])
		logs[0] += atoi(l[1])
		logs[1] += atoi(l[2])
	}
	return digests, logs
}

// ourValidate runs trailkit validate and requires no finding of any kind
// (fork, file listed twice, unlisted file included).
func (f *sharedFixture) ourValidate(t *testing.T, dest []string, end time.Time) {
	t.Helper()
	args := append([]string{"validate", "--trail-arn", "arn:aws:cloudtrail:us-east-1:" + sharedAccount + ":trail/shared", "--public-key", f.pub,
		"--quiet", "--start-time", sharedT0.Add(-time.Hour).Format(time.RFC3339), "--end-time", end.Format(time.RFC3339)}, dest...)
	r := runTrailkitBin(t, f.bin, f.env, args...)
	require.Equal(t, 0, r.code, "%s\n%s", r.stdout, r.stderr)
	assert.Empty(t, r.stderr)
}

func (f *sharedFixture) s3Store(t *testing.T) *s3sink.Sink {
	return s3sink.New(f.srv.Client(t), f.bucket, s3sink.Options{})
}

// Four processes write one trail at once (each a part of the records, all
// over the same four hours, in two regions): one linear chain per region,
// every log file in one digest, every record once; the AWS CLI validates
// every digest and log file in the bucket. The same into a directory.
func TestSharedTrailFourWriters(t *testing.T) {
	f := newSharedFixture(t)
	inputs, ids := sharedInputs(t, f.dir, 1, sharedT0, 4000, 4, 4*time.Hour)
	end := sharedT0.Add(8 * time.Hour)
	want := map[string]int{}
	for _, id := range ids {
		want[id] = 1
	}

	t.Run("s3", func(t *testing.T) {
		dest := []string{"--s3", "s3://" + f.bucket}
		var cmds [][]string
		for _, in := range inputs {
			cmds = append(cmds, f.replayArgs(dest, in))
		}
		f.runAll(t, cmds...)
		cs := checkSharedChain(t, f.s3Store(t), "")
		assert.Equal(t, want, cs.records, "every record once")
		d, l := f.awsValidate(t, "", cs.rangeEnd(end))
		assert.Equal(t, [2]int{cs.digests, cs.digests}, d, "AWS CLI: all digests valid, as many as in the bucket:\n%s\n%s", cs.chain, f.cliOut)
		assert.Equal(t, [2]int{cs.logs, cs.logs}, l, "AWS CLI: all log files valid, as many as in the bucket")
		f.ourValidate(t, dest, cs.rangeEnd(end))
		t.Logf("4 writers to S3: %d digests, %d log files, %d records; AWS CLI %d/%d digests, %d/%d log files valid",
			cs.digests, cs.logs, len(cs.records), d[0], d[1], l[0], l[1])
	})
	t.Run("dir", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), f.bucket)
		dest := []string{"--dir", root}
		var cmds [][]string
		for _, in := range inputs {
			cmds = append(cmds, f.replayArgs(dest, in))
		}
		f.runAll(t, cmds...)
		d, err := sink.NewDir(root, sink.DirOptions{})
		require.NoError(t, err)
		cs := checkSharedChain(t, d, "")
		assert.Equal(t, want, cs.records, "every record once")
		f.ourValidate(t, dest, cs.rangeEnd(end))
		t.Logf("4 writers to a directory: %d digests, %d log files, %d records", cs.digests, cs.logs, len(cs.records))
	})
}

// rounds is the number of rounds of a crash or race test: a few by
// default, TRAILKIT_SHARED_ROUNDS (100 for the full run) when set.
func rounds(t *testing.T, def int) int {
	if s := os.Getenv("TRAILKIT_SHARED_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err, "TRAILKIT_SHARED_ROUNDS")
		return n
	}
	return def
}

// Rounds of two writers of one trail, each round three hours later than
// the one before (one chain across the rounds), one writer killed with
// SIGKILL (right after a digest put, right after a log file put, or at a
// random moment), then restarted on its input, or (every fourth round)
// both writers killed after a digest put and left dead, and followed by
// trailkit seal, which a second run finds
// nothing owed after. Then: no fork, no gap, no file unlisted or listed twice, and the
// AWS CLI validates the whole chain, every digest and log file in the
// bucket.
func TestSharedTrailKill(t *testing.T) {
	f := newSharedFixture(t)
	n := rounds(t, 4)
	dest := []string{"--s3", "s3://" + f.bucket + "/kill"}
	kills := map[string]int{}
	sealedDigests, sealedLogs := map[string]int{}, map[string]int{}
	for round := range n {
		t0 := sharedT0.Add(time.Duration(round) * 3 * time.Hour)
		inputs, _ := sharedInputs(t, f.dir, uint64(100+round), t0, 300, 2, 3*time.Hour)
		how := [...]string{"digest-put", "put", "random", "seal-only"}[round%4]
		var crashEnv []string
		switch how {
		case "digest-put", "put":
			crashEnv = []string{"TRAILKIT_CRASH_AT=" + how}
		case "seal-only":
			crashEnv = []string{"TRAILKIT_CRASH_AT=digest-put"} // and not restarted
		}
		victim, vout := f.start(t, crashEnv, f.replayArgs(dest, inputs[0])...)
		otherEnv := []string(nil)
		if how == "seal-only" {
			otherEnv = crashEnv // both writers die: seal has work
		}
		other, oout := f.start(t, otherEnv, f.replayArgs(dest, inputs[1])...)
		if how == "random" {
			timer := time.AfterFunc(time.Duration(rand.N(300))*time.Millisecond, func() { victim.Process.Signal(syscall.SIGKILL) })
			defer timer.Stop()
		}
		err := victim.Wait()
		if oerr := other.Wait(); how != "seal-only" {
			require.NoError(t, oerr, oout.String())
		}
		if ws, ok := victim.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills[how]++
		} else {
			require.NoError(t, err, vout.String())
		}
		// Restart the killed writer (unless the round leaves it dead),
		// then seal what is owed; a second seal has nothing to do.
		if how != "seal-only" {
			f.runAll(t, f.replayArgs(dest, inputs[0]))
		}
		until := []string{"--until", t0.Add(3 * time.Hour).Format(time.RFC3339)}
		sealed := runTrailkitBin(t, f.bin, f.env, f.sealArgs(dest, until...)...)
		require.Equal(t, 0, sealed.code, sealed.stderr)
		var nd, nl int
		_, err = fmt.Sscanf(sealed.stdout[strings.LastIndex(strings.TrimSuffix(sealed.stdout, "\n"), "\n")+1:], "%d digest files written, listing %d log files", &nd, &nl)
		require.NoError(t, err, sealed.stdout)
		sealedDigests[how] += nd
		sealedLogs[how] += nl
		again := runTrailkitBin(t, f.bin, f.env, f.sealArgs(dest, until...)...)
		require.Equal(t, 0, again.code, again.stderr)
		require.Equal(t, "0 digest files written, listing 0 log files\n", again.stdout, "round %d: nothing owed after a seal", round)
	}
	end := sharedT0.Add(time.Duration(n)*3*time.Hour + 2*time.Hour)
	cs := checkSharedChain(t, f.s3Store(t), "kill/")
	d, l := f.awsValidate(t, "kill", cs.rangeEnd(end))
	assert.Equal(t, [2]int{cs.digests, cs.digests}, d, "AWS CLI: all digests valid, as many as in the bucket:\n%s\n%s", cs.chain, f.cliOut)
	assert.Equal(t, [2]int{cs.logs, cs.logs}, l, "AWS CLI: all log files valid, as many as in the bucket")
	f.ourValidate(t, dest, cs.rangeEnd(end))
	t.Logf("%d rounds, writers killed %v, trailkit seal wrote %v digests listing %v log files: %d digests, %d log files; forks %d, gaps %d, unlisted %d, listed twice %d; AWS CLI: %d/%d digests, %d/%d log files valid",
		n, kills, sealedDigests, sealedLogs, cs.digests, cs.logs, cs.forks, cs.gaps, cs.unlisted, cs.twice, d[0], d[1], l[0], l[1])
}

// Rounds of two writers of one trail into a directory, each round three
// hours later than the one before, one writer (every other round both)
// killed with SIGKILL between the two links that create a digest (its
// claim of the hour's key made, its body not yet in place). The other
// writer, the restarted one and trailkit seal complete that claim at once
// instead of waiting a minute for it to go stale, and link to it; a
// second seal finds nothing owed. Then: no fork, no gap, no file unlisted
// or listed twice, every record present (at least once: a restarted
// replay emits its input again), and trailkit validate reports
// nothing.
func TestSharedTrailKillDir(t *testing.T) {
	f := newSharedFixture(t)
	n := rounds(t, 2)
	root := filepath.Join(t.TempDir(), f.bucket)
	dest := []string{"--dir", root}
	crash := []string{"TRAILKIT_CRASH_AT=claim"}
	killed := 0
	want := map[string]bool{}
	for round := range n {
		t0 := sharedT0.Add(time.Duration(round) * 3 * time.Hour)
		inputs, ids := sharedInputs(t, f.dir, uint64(900+round), t0, 300, 2, 3*time.Hour)
		for _, id := range ids {
			want[id] = true
		}
		both := round%2 == 1
		victim, vout := f.start(t, crash, f.replayArgs(dest, inputs[0])...)
		otherEnv := []string(nil)
		if both {
			otherEnv = crash
		}
		other, oout := f.start(t, otherEnv, f.replayArgs(dest, inputs[1])...)
		for _, w := range []struct {
			cmd  *exec.Cmd
			out  *bytes.Buffer
			kill bool
		}{{victim, vout, true}, {other, oout, both}} {
			err := w.cmd.Wait()
			if ws, ok := w.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				killed++
				continue
			}
			require.NoError(t, err, w.out.String())
			require.False(t, w.kill, "round %d: a writer to be killed at its claim exited:\n%s", round, w.out.String())
		}
		// The writers restarted on their input, then seal; a second
		// seal has nothing to do.
		restart := [][]string{f.replayArgs(dest, inputs[0])}
		if both {
			restart = append(restart, f.replayArgs(dest, inputs[1]))
		}
		f.runAll(t, restart...)
		until := []string{"--until", t0.Add(3 * time.Hour).Format(time.RFC3339)}
		require.Equal(t, 0, runTrailkitBin(t, f.bin, f.env, f.sealArgs(dest, until...)...).code)
		again := runTrailkitBin(t, f.bin, f.env, f.sealArgs(dest, until...)...)
		require.Equal(t, 0, again.code, again.stderr)
		require.Equal(t, "0 digest files written, listing 0 log files\n", again.stdout, "round %d: nothing owed after a seal", round)
	}
	end := sharedT0.Add(time.Duration(n)*3*time.Hour + 2*time.Hour)
	d, err := sink.NewDir(root, sink.DirOptions{})
	require.NoError(t, err)
	cs := checkSharedChain(t, d, "")
	for id := range want {
		// A restarted replay emits its input again: at least once.
		assert.Positive(t, cs.records[id], "record %s", id)
	}
	f.ourValidate(t, dest, cs.rangeEnd(end))
	t.Logf("%d rounds, %d writers killed between a digest's two links: %d digests, %d log files; forks %d, gaps %d, unlisted %d, listed twice %d",
		n, killed, cs.digests, cs.logs, cs.forks, cs.gaps, cs.unlisted, cs.twice)
}

// Rounds of two writers and three trailkit seal processes racing on the
// same hours, each round two hours later than the one before: exactly one
// digest per period, one chain, every record once and every file listed
// once.
func TestSharedTrailSealRace(t *testing.T) {
	f := newSharedFixture(t)
	n := rounds(t, 3)
	dest := []string{"--s3", "s3://" + f.bucket + "/race"}
	want := map[string]int{}
	for round := range n {
		t0 := sharedT0.Add(time.Duration(round) * 2 * time.Hour)
		inputs, ids := sharedInputs(t, f.dir, uint64(500+round), t0, 300, 2, 2*time.Hour)
		for _, id := range ids {
			want[id] = 1
		}
		until := []string{"--until", t0.Add(2 * time.Hour).Format(time.RFC3339)}
		f.runAll(t, f.replayArgs(dest, inputs[0]), f.sealArgs(dest, until...), f.replayArgs(dest, inputs[1]),
			f.sealArgs(dest, until...), f.sealArgs(dest, until...))
	}
	end := sharedT0.Add(time.Duration(n)*2*time.Hour + 2*time.Hour)
	f.runAll(t, f.sealArgs(dest, "--until", end.Format(time.RFC3339)))
	cs := checkSharedChain(t, f.s3Store(t), "race/")
	assert.Equal(t, want, cs.records, "every record once")
	d, l := f.awsValidate(t, "race", cs.rangeEnd(end))
	assert.Equal(t, [2]int{cs.digests, cs.digests}, d, "AWS CLI: all digests valid, as many as in the bucket:\n%s\n%s", cs.chain, f.cliOut)
	assert.Equal(t, [2]int{cs.logs, cs.logs}, l, "AWS CLI: all log files valid, as many as in the bucket")
	t.Logf("%d rounds: %d digests (one per period and region), %d log files; forks %d, gaps %d, unlisted %d, listed twice %d; AWS CLI: %d/%d digests, %d/%d log files valid",
		n, cs.digests, cs.logs, cs.forks, cs.gaps, cs.unlisted, cs.twice, d[0], d[1], l[0], l[1])
}

// Four writers of one trail run one after another over the same two hours
// (a replay's clock is its records' times): each finds the hours sealed by
// those before it, so it lists its files in the digest of the hour after
// them, which it seals at once when it stops. The chain ends an hour later
// per writer, hours after the last record, as it may when writers race
// (TestSharedTrailSealRace): the AWS CLI and trailkit validate, given a
// range that reaches the newest digest, count every digest and log file in
// the bucket; given one ending two hours after the records, as that test
// once did, they would miss the newest digests and the files they list.
func TestSharedTrailWritersOneAfterAnother(t *testing.T) {
	f := newSharedFixture(t)
	inputs, ids := sharedInputs(t, f.dir, 700, sharedT0, 400, 4, 2*time.Hour)
	dest := []string{"--s3", "s3://" + f.bucket + "/seq"}
	for _, in := range inputs {
		f.runAll(t, f.replayArgs(dest, in))
	}
	cs := checkSharedChain(t, f.s3Store(t), "seq/")
	want := map[string]int{}
	for _, id := range ids {
		want[id] = 1
	}
	assert.Equal(t, want, cs.records, "every record once")
	end := sharedT0.Add(4 * time.Hour) // two hours after the records
	require.True(t, cs.newest.After(end.Add(time.Hour)),
		"the chain ends (%s) after the digests a validation up to %s lists:\n%s", cs.newest, end, cs.chain)
	d, l := f.awsValidate(t, "seq", cs.rangeEnd(end))
	assert.Equal(t, [2]int{cs.digests, cs.digests}, d, "AWS CLI: all digests valid, as many as in the bucket:\n%s\n%s", cs.chain, f.cliOut)
	assert.Equal(t, [2]int{cs.logs, cs.logs}, l, "AWS CLI: all log files valid, as many as in the bucket")
	f.ourValidate(t, dest, cs.rangeEnd(end))
	t.Logf("4 writers one after another: %d digests, the newest ending %s, %d log files; AWS CLI: %d/%d digests, %d/%d log files valid",
		cs.digests, cs.newest.Format(time.RFC3339), cs.logs, d[0], d[1], l[0], l[1])
}
