// Package iceio is the Iceberg FileIO of an HDFS lake: it lets iceberg-go
// read and write a table's metadata, manifests and data files at hdfs://
// locations through the lake's own filesystem (pkg/sink's HDFS), so that
// the tables are written with the same client, Kerberos login, umask and
// permissions as the files landerd lands.
//
// iceberg-go finds an IO by URL scheme in one process-wide registry
// (io.Register). Package iceio registers the scheme "hdfs" there once, on
// the first [Register], and keeps its own table of the lakes open in the
// process: the IO of a URL is that of the registered lake whose NameNode
// address is the URL's host and whose root holds the URL's path (the
// deepest such root when lakes nest). Several lakes, on one cluster or
// several, can thus be open at once, as tests do; a URL of no registered
// lake is an error, never another lake's filesystem.
//
// An IO implements what iceberg-go's code paths ask of a filesystem, as
// small interfaces: io.IO, ReadFileIO, StatIO and ListableIO to read;
// WriteFileIO, RenameIO, RemoveAllIO and MkdirAllIO for the SQL catalog's
// commits, AddDataFiles, FileToDataFile and scans; and RenameNoReplaceIO,
// which completes the hadoop catalog's HadoopCatalogFS, through the
// lake's sink.RenameNoReplaceFS. On a lake open for reading only (a
// report's) the methods that change it fail with fs.ErrPermission.
package iceio
