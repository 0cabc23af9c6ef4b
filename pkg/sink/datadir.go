package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// DataDirs says where a table format keeps a table's data files: the
// folder, relative to the lake root, of a data file of table in Hive
// partition hive (such as "landerd/attempts/data/ingest_date=2026-11-24",
// the partition folder inside an Iceberg table's data folder, or, with a
// tenant level in hive, a folder of that tenant's own table).
type DataDirs func(table, hive string) string

// SetDataDirs publishes the data files under the folders dirs gives
// instead of under <table>/<hive> as the Hive layout does. Call it before
// the first Create; the states it commits record each file's final path,
// so a later Claim rolls a flush forward wherever its files go. A folder
// outside the lake, or in landerd's control directory, fails the Create of
// its file.
func (p *Partition) SetDataDirs(dirs DataDirs) error {
	if dirs == nil {
		return errors.New("set data dirs: nil DataDirs")
	}
	p.dataDirs = dirs
	return nil
}

// dataDir is the folder a data file of table in partition hive is
// published in.
func (p *Partition) dataDir(table, hive string) (string, error) {
	if p.dataDirs == nil {
		return path.Join(table, hive), nil
	}
	dir := p.dataDirs(table, hive)
	if dir == "" || dir == "." || !fs.ValidPath(dir) || dir == ControlDir || strings.HasPrefix(dir, ControlDir+"/") {
		return "", fmt.Errorf("invalid data folder %q for table %s, partition %s", dir, table, hive)
	}
	return dir, nil
}

// Committed returns a copy of the committed state, the last published
// flush and the gaps recorded, or nil when the lake holds nothing for the
// partition. Code that commits a flush elsewhere too (an Iceberg table)
// reads the flush's files from it.
func (p *Partition) Committed() *State {
	if p.state == nil {
		return nil
	}
	st := *p.state
	st.Files = slices.Clone(p.state.Files)
	st.Gaps = slices.Clone(p.state.Gaps)
	return &st
}
