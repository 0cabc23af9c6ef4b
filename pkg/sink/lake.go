package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// ControlDir is the top-level directory holding landerd's publication
// state and temporary files. Hive-style readers ignore directories whose
// names start with "_".
const ControlDir = "_landerd"

// dataFileExt ends the name of every published data file.
const dataFileExt = ".parquet"

// FileName is the name of a data file holding rows of Kafka offsets
// first..last of one topic partition:
// <topic>-<partition:05d>-<first:019d>-<last:019d>.parquet. The zero padding
// makes names sort by offset.
func FileName(topic string, partition int32, first, last int64) string {
	return fmt.Sprintf("%s-%05d-%019d-%019d%s", topic, partition, first, last, dataFileExt)
}

// ParseFileName parses a name made by [FileName]. Topic names may contain
// '-', so the numbers are taken from the end.
func ParseFileName(name string) (topic string, partition int32, first, last int64, err error) {
	bad := func(why string) error { return fmt.Errorf("parse data file name %q: %s", name, why) }
	rest, ok := strings.CutSuffix(name, dataFileExt)
	if !ok {
		return "", 0, 0, 0, bad("no " + dataFileExt + " suffix")
	}
	var nums [3]int64
	for i := 2; i >= 0; i-- {
		j := strings.LastIndexByte(rest, '-')
		if j < 0 {
			return "", 0, 0, 0, bad("want <topic>-<partition>-<first>-<last>")
		}
		digits := rest[j+1:]
		minDigits := 19
		if i == 0 {
			minDigits = 5
		}
		if len(digits) < minDigits || strings.TrimLeft(digits, "0123456789") != "" {
			return "", 0, 0, 0, bad(fmt.Sprintf("field %q is not a zero-padded number", digits))
		}
		n, perr := strconv.ParseInt(digits, 10, 64)
		if perr != nil {
			return "", 0, 0, 0, bad(perr.Error())
		}
		nums[i] = n
		rest = rest[:j]
	}
	if err := checkTopic(rest); err != nil {
		return "", 0, 0, 0, bad(err.Error())
	}
	if nums[0] > 1<<31-1 {
		return "", 0, 0, 0, bad("partition out of range")
	}
	if nums[1] > nums[2] {
		return "", 0, 0, 0, bad("first offset after last")
	}
	if FileName(rest, int32(nums[0]), nums[1], nums[2]) != name {
		return "", 0, 0, 0, bad("not in canonical form")
	}
	return rest, int32(nums[0]), nums[1], nums[2], nil
}

// checkTable accepts a table name: one path element, not the control dir.
func checkTable(table string) error {
	if table == "" || strings.Contains(table, "/") || !fs.ValidPath(table) || table == ControlDir || strings.HasPrefix(table, ".") {
		return fmt.Errorf("invalid table name %q", table)
	}
	return nil
}

// DataFile is a published data file of the lake.
type DataFile struct {
	Path      string // relative to the lake root
	Hive      string // e.g. "ingest_date=2026-11-24"; "" when the file sits in the table dir
	Topic     string
	Partition int32
	First     int64 // smallest Kafka offset of its rows
	Last      int64 // largest Kafka offset of its rows
	Size      int64 // bytes
}

// ListDataFiles lists the published data files of a table, sorted by path.
// A missing table lists nothing. Files and directories whose names do not
// follow the layout (hidden, "_"-prefixed, foreign) are skipped.
func ListDataFiles(fsys ReadFS, table string) ([]DataFile, error) {
	return ListDataFilesIn(fsys, table, "")
}

// ListDataFilesIn lists, as [ListDataFiles] does, the published data files
// of a table below its Hive partition hive (e.g. "tenant=pearson"; ""
// for the whole table). It reads <table>/<hive> and the directories below
// it, never their parents, so it works for a user who may enter a tenant's
// directory but not list the table's. A missing directory lists nothing.
func ListDataFilesIn(fsys ReadFS, table, hive string) ([]DataFile, error) {
	if err := checkTable(table); err != nil {
		return nil, fmt.Errorf("list data files: %w", err)
	}
	if err := checkHive(hive); err != nil {
		return nil, fmt.Errorf("list data files: %w", err)
	}
	var out []DataFile
	var walk func(dir, hive string) error
	walk = func(dir, hive string) error {
		infos, err := fsys.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, fi := range infos {
			name := fi.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				continue
			}
			if fi.IsDir() {
				if err := walk(path.Join(dir, name), path.Join(hive, name)); err != nil {
					return err
				}
				continue
			}
			topic, part, first, last, err := ParseFileName(name)
			if err != nil {
				continue
			}
			out = append(out, DataFile{
				Path: path.Join(dir, name), Hive: hive, Topic: topic, Partition: part,
				First: first, Last: last, Size: fi.Size(),
			})
		}
		return nil
	}
	dir := path.Join(table, hive)
	if err := walk(dir, hive); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := fsys.Stat(dir); errors.Is(serr, fs.ErrNotExist) {
				return nil, nil
			}
		}
		return nil, fmt.Errorf("list data files of %s: %w", dir, err)
	}
	slices.SortFunc(out, func(a, b DataFile) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}
