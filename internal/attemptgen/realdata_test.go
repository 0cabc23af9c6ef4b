package attemptgen

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/landerd/landerd/test/kit/realdata"
)

// generatedOrderings returns the key orderings of 5,000 good attempts (2,000
// under -short). Two tests compare them with the real data; they are
// generated once and shared, read-only.
func generatedOrderings(t *testing.T) orderings {
	t.Helper()
	genOrderings.once.Do(func() {
		ords := orderings{}
		for _, r := range generate(Config{Seed: 1}, size(5000, 2000)) {
			ords.add(t, r.Value)
		}
		genOrderings.ords = ords
	})
	if genOrderings.ords == nil {
		t.Fatal("the generated orderings could not be collected (see the first test that asked)")
	}
	return genOrderings.ords
}

var genOrderings struct {
	once sync.Once
	ords orderings
}

// TestShapeMatchesSample compares the generated shape with the real sample:
// the same top-level key order and the same key names at every level.
func TestShapeMatchesSample(t *testing.T) {
	path := realdata.Path(t, realdata.SampleFile)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	real := orderings{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		real.add(t, sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	gen := generatedOrderings(t)

	if !maps.Equal(keySet(real["top"]), keySet(gen["top"])) || len(gen["top"]) != 1 {
		t.Fatalf("top-level orderings: real %v, generated %v", real["top"], gen["top"])
	}
	realNames, genNames := real.keyNames(), gen.keyNames()
	for _, level := range []string{"top", "sequences", "counts", "questions", "options"} {
		if !maps.Equal(realNames[level], genNames[level]) {
			t.Errorf("%s: real keys %v, generated %v", level, slices.Sorted(maps.Keys(realNames[level])),
				slices.Sorted(maps.Keys(genNames[level])))
		}
	}
}

// TestOrderingsOccurInRealData checks that every key ordering generated at
// any level also occurs in the whole real data set.
func TestOrderingsOccurInRealData(t *testing.T) {
	path := realdata.Path(t, realdata.ArrayFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(data, &elems); err != nil {
		t.Fatal(err)
	}
	real := orderings{}
	for _, e := range elems {
		real.add(t, e)
	}
	gen := generatedOrderings(t)
	for level, ords := range gen {
		for ord := range ords {
			if real[level][ord] == 0 {
				t.Errorf("%s: generated ordering %q never occurs in the real data", level, ord)
			}
		}
	}
}

func keySet(m map[string]int) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}
