package sink

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
)

// SetDataDirs publishes the data files of each table in dirs under
// dirs[table], a folder relative to the lake root (such as
// "landerd/attempts/data", an Iceberg table's data folder), instead of
// under the table's own name as the Hive layout does. Call it before the
// first Create; the states it commits record each file's final path, so
// a later Claim rolls a flush forward wherever its files go.
func (p *Partition) SetDataDirs(dirs map[string]string) error {
	for table, dir := range dirs {
		if err := checkTable(table); err != nil {
			return fmt.Errorf("set data dirs: %w", err)
		}
		if dir == "" || dir == "." || !fs.ValidPath(dir) || dir == ControlDir || strings.HasPrefix(dir, ControlDir+"/") {
			return fmt.Errorf("set data dirs: invalid folder %q for table %s", dir, table)
		}
	}
	p.dataDirs = maps.Clone(dirs)
	return nil
}

// dataDir is the folder table's files are published under.
func (p *Partition) dataDir(table string) string {
	if dir, ok := p.dataDirs[table]; ok {
		return dir
	}
	return table
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
