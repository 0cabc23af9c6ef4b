import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.PrivilegedExceptionAction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.AclEntry;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.server.datanode.DataNode;
import org.apache.hadoop.security.GroupMappingServiceProvider;
import org.apache.hadoop.security.Groups;
import org.apache.hadoop.security.UserGroupInformation;

/**
 * HdfsLauncher runs an Apache HDFS MiniDFSCluster (one NameNode, N DataNodes,
 * permission checking on) on 127.0.0.1 as a process of its own, for landerd's
 * tests, and obeys fault commands read on stdin.
 *
 * <p>Standard output carries only the protocol: one line "READY
 * hdfs://127.0.0.1:PORT" once the cluster is up, then one line "OK" or "ERR
 * message" for each command. Everything else goes to standard error.
 */
public final class HdfsLauncher {
    private static final String USAGE = String.join("\n",
        "usage: launcher.sh [--dir D] [--namenode-port P] [--datanodes N] [--block-size B]",
        "                   [--conf KEY=VALUE]...",
        "",
        "Starts a MiniDFSCluster on 127.0.0.1 with permission checking on, prints",
        "  READY hdfs://127.0.0.1:PORT",
        "on stdout, then reads one command per line on stdin and answers each with",
        "one line, OK or ERR <message>:",
        "  stop-datanode I              stop DataNode I (0-based, numbered at start)",
        "  restart-datanode I           start DataNode I again on the same ports (stopping",
        "                               it first if it runs) and wait until it is registered",
        "  restart-namenode             restart the NameNode on the same port, wait active",
        "  wait-active                  wait until the NameNode is out of safe mode and every",
        "                               running DataNode is registered",
        "  mkdir PATH OWNER GROUP MODE  as the superuser: create PATH, then set its owner,",
        "                               group and octal MODE; missing parents are created",
        "                               as the superuser's, mode 755",
        "  add-user-group USER GROUP... make USER a member of exactly these groups (none:",
        "                               no groups); users without an entry have no groups",
        "  setfacl PATH SPEC            as the superuser: add the ACL entries of SPEC to PATH,",
        "                               as hdfs dfs -setfacl -m SPEC PATH (not recursive)",
        "  stat PATH                    as the superuser: OK OWNER GROUP MODE ACL, MODE in",
        "                               octal, ACL the extended entries joined by commas",
        "                               (access entries, then default ones), or - for none",
        "  ls-as USER PATH              as USER, with the Hadoop client: list PATH; OK and the",
        "                               names, space-separated, or ERR CLASS: MESSAGE",
        "  cat-as USER PATH             as USER, with the Hadoop client: read PATH whole; OK",
        "                               and the number of bytes read, or ERR CLASS: MESSAGE",
        "  shutdown                     shut the cluster down and exit 0 (so does EOF)",
        "",
        "--dir D            where the NameNode and DataNodes keep their data (default: a",
        "                   new temporary directory, removed on shutdown); formatted at start",
        "--namenode-port P  the NameNode's RPC port (default 0: a free port)",
        "--datanodes N      how many DataNodes (default 3)",
        "--block-size B     dfs.blocksize in bytes (default: Hadoop's, 128 MiB)",
        "--conf KEY=VALUE   any other Hadoop setting, applied last",
        "",
        "The superuser is the OS user running the launcher (and members of the group",
        "supergroup). Group membership of other users comes only from add-user-group.");

    private final MiniDFSCluster cluster;
    /** The xfer port of DataNode I, fixed at start: how a DataNode is named across restarts. */
    private final int[] xferPorts;
    /** The properties of stopped DataNodes, by their index; null when running. */
    private final MiniDFSCluster.DataNodeProperties[] stopped;

    private HdfsLauncher(MiniDFSCluster cluster) {
        this.cluster = cluster;
        List<DataNode> dns = cluster.getDataNodes();
        this.xferPorts = new int[dns.size()];
        for (int i = 0; i < dns.size(); i++) {
            xferPorts[i] = dns.get(i).getXferPort();
        }
        this.stopped = new MiniDFSCluster.DataNodeProperties[dns.size()];
    }

    public static void main(String[] args) throws Exception {
        PrintStream protocol = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        // Nothing but the protocol may reach stdout.
        System.setOut(System.err);

        String dir = null;
        int port = 0;
        int datanodes = 3;
        long blockSize = 0;
        List<String[]> extra = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.err.println(USAGE);
                System.exit(0);
            }
            if (i + 1 >= args.length) {
                usage("missing value after " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--dir" -> dir = v;
                case "--namenode-port" -> port = parseInt(a, v);
                case "--datanodes" -> datanodes = parseInt(a, v);
                case "--block-size" -> blockSize = Long.parseLong(v);
                case "--conf" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        usage("--conf wants KEY=VALUE, got " + v);
                    }
                    extra.add(new String[] {v.substring(0, eq), v.substring(eq + 1)});
                }
                default -> usage("unknown option " + a);
            }
        }
        boolean removeDir = dir == null;
        File base = removeDir ? Files.createTempDirectory("landerd-minidfs-").toFile() : new File(dir);
        if (port == 0) {
            port = freePort();
        }

        Configuration conf = new Configuration();
        conf.setBoolean("dfs.permissions.enabled", true);
        conf.set("hadoop.security.group.mapping", StaticGroups.class.getName());
        // A DataNode reports to the NameNode every second, so that restarts
        // and registrations settle quickly; dead-node detection keeps
        // Hadoop's default unless --conf changes it.
        conf.setLong("dfs.heartbeat.interval", 1);
        conf.setLong("dfs.namenode.fs-limits.min-block-size", 0);
        if (blockSize > 0) {
            conf.setLong("dfs.blocksize", blockSize);
        }
        conf.set("dfs.namenode.http-address", "127.0.0.1:0");
        conf.set("dfs.namenode.https-address", "127.0.0.1:0");
        for (String[] kv : extra) {
            conf.set(kv[0], kv[1]);
        }

        // Before anything else asks for a user's groups: the first caller
        // fixes the process-wide group mapping.
        UserGroupInformation.setConfiguration(conf);
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, base)
            .nameNodePort(port)
            .numDataNodes(datanodes)
            .format(true)
            .build();
        cluster.waitActive();
        HdfsLauncher l = new HdfsLauncher(cluster);
        Thread hook = new Thread(() -> cluster.shutdown(true));
        Runtime.getRuntime().addShutdownHook(hook);

        protocol.println("READY hdfs://127.0.0.1:" + cluster.getNameNodePort());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.equals("shutdown")) {
                break;
            }
            String answer;
            try {
                String out = l.run(line.split("\\s+"));
                answer = out.isEmpty() ? "OK" : "OK " + out;
            } catch (AsUserException e) {
                answer = "ERR " + e.getMessage();
            } catch (Throwable e) {
                e.printStackTrace(System.err);
                String msg = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
                answer = "ERR " + msg.replaceAll("\\s+", " ").trim();
            }
            protocol.println(answer);
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        cluster.shutdown(true);
        if (removeDir) {
            deleteTree(base);
        }
        protocol.println("OK");
        System.exit(0);
    }

    /** run executes one command; it returns what follows OK, and throws for ERR. */
    private String run(String[] c) throws Exception {
        switch (c[0]) {
            case "stop-datanode" -> {
                want(c, 2);
                int i = index(c[1]);
                if (stopped[i] != null) {
                    throw new IllegalStateException("datanode " + i + " is already stopped");
                }
                stopped[i] = cluster.stopDataNode(running(i));
            }
            case "restart-datanode" -> {
                want(c, 2);
                int i = index(c[1]);
                if (stopped[i] == null) {
                    stopped[i] = cluster.stopDataNode(running(i));
                }
                if (!cluster.restartDataNode(stopped[i], true)) {
                    throw new IOException("datanode " + i + " did not restart");
                }
                stopped[i] = null;
                cluster.waitActive();
            }
            case "restart-namenode" -> {
                want(c, 1);
                cluster.restartNameNode(true);
            }
            case "wait-active" -> {
                want(c, 1);
                cluster.waitActive();
            }
            case "mkdir" -> {
                want(c, 5);
                Path p = new Path(c[1]);
                FsPermission mode = new FsPermission(Short.parseShort(c[4], 8));
                DistributedFileSystem fs = cluster.getFileSystem();
                // Missing parents: the superuser's, open to traverse.
                List<Path> missing = new ArrayList<>();
                for (Path a = p.getParent(); a != null && !fs.exists(a); a = a.getParent()) {
                    missing.add(0, a);
                }
                for (Path a : missing) {
                    fs.mkdirs(a, new FsPermission((short) 0755));
                    fs.setPermission(a, new FsPermission((short) 0755));
                }
                if (!fs.mkdirs(p, mode)) {
                    throw new IOException("mkdirs " + p + " returned false");
                }
                fs.setPermission(p, mode);
                fs.setOwner(p, c[2], c[3]);
            }
            case "add-user-group" -> {
                if (c.length < 2) {
                    throw new IllegalArgumentException("usage: add-user-group USER GROUP...");
                }
                StaticGroups.set(c[1], Arrays.asList(c).subList(2, c.length));
                Groups.getUserToGroupsMappingService(cluster.getConfiguration(0)).refresh();
            }
            case "setfacl" -> {
                want(c, 3);
                cluster.getFileSystem().modifyAclEntries(new Path(c[1]), AclEntry.parseAclSpec(c[2], true));
            }
            case "stat" -> {
                want(c, 2);
                DistributedFileSystem fs = cluster.getFileSystem();
                Path p = new Path(c[1]);
                FileStatus st = fs.getFileStatus(p);
                List<String> acl = new ArrayList<>();
                for (AclEntry e : fs.getAclStatus(p).getEntries()) {
                    acl.add(e.toStringStable());
                }
                return String.format("%s %s %04o %s", st.getOwner(), st.getGroup(),
                    st.getPermission().toShort() & 07777, acl.isEmpty() ? "-" : String.join(",", acl));
            }
            case "ls-as" -> {
                want(c, 3);
                return asUser(c[1], fs -> {
                    List<String> names = new ArrayList<>();
                    for (FileStatus st : fs.listStatus(new Path(c[2]))) {
                        names.add(st.getPath().getName());
                    }
                    return String.join(" ", names);
                });
            }
            case "cat-as" -> {
                want(c, 3);
                return asUser(c[1], fs -> {
                    long n = 0;
                    byte[] buf = new byte[64 << 10];
                    try (InputStream in = fs.open(new Path(c[2]))) {
                        for (int r; (r = in.read(buf)) > 0; ) {
                            n += r;
                        }
                    }
                    return Long.toString(n);
                });
            }
            default -> throw new IllegalArgumentException("unknown command " + c[0] + " (see --help)");
        }
        return "";
    }

    /** A call on the file system of a user. */
    private interface UserCall {
        String call(FileSystem fs) throws IOException;
    }

    /** AsUserException carries the answer to a call a user was refused. */
    private static final class AsUserException extends Exception {
        AsUserException(String answer) {
            super(answer);
        }
    }

    /**
     * asUser runs call as user with a client of its own, as a process of that
     * user would; the exception the client raised becomes the answer.
     */
    private String asUser(String user, UserCall call) throws Exception {
        UserGroupInformation ugi = UserGroupInformation.createRemoteUser(user);
        Configuration conf = new Configuration(cluster.getConfiguration(0));
        try {
            return ugi.doAs((PrivilegedExceptionAction<String>) () -> {
                try (FileSystem fs = FileSystem.newInstance(cluster.getURI(), conf)) {
                    return call.call(fs);
                }
            });
        } catch (IOException e) {
            String msg = e.getMessage() == null ? "" : e.getMessage();
            // The server's stack, which the message repeats, stops at its first line.
            msg = msg.lines().findFirst().orElse("").trim();
            throw new AsUserException(e.getClass().getName() + ": " + msg);
        }
    }

    /** running returns the current list index of the running DataNode first started as i. */
    private int running(int i) {
        List<DataNode> dns = cluster.getDataNodes();
        for (int j = 0; j < dns.size(); j++) {
            if (dns.get(j).getXferPort() == xferPorts[i]) {
                return j;
            }
        }
        throw new IllegalStateException("datanode " + i + " is not running");
    }

    private int index(String s) {
        int i = Integer.parseInt(s);
        if (i < 0 || i >= xferPorts.length) {
            throw new IllegalArgumentException("datanode " + s + ": want 0.." + (xferPorts.length - 1));
        }
        return i;
    }

    private static void want(String[] c, int n) {
        if (c.length != n) {
            throw new IllegalArgumentException(c[0] + " takes " + (n - 1) + " arguments (see --help)");
        }
    }

    private static int parseInt(String opt, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            usage(opt + " wants a number, got " + v);
            return 0;
        }
    }

    private static void usage(String problem) {
        System.err.println("hdfs launcher: " + problem);
        System.err.println(USAGE);
        System.exit(2);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(File f) {
        File[] kids = f.listFiles();
        if (kids != null) {
            for (File k : kids) {
                deleteTree(k);
            }
        }
        f.delete();
    }

    /**
     * StaticGroups maps users to groups from a table the add-user-group command
     * fills; a user without an entry has no groups. Hadoop instantiates it
     * through hadoop.security.group.mapping.
     */
    public static final class StaticGroups implements GroupMappingServiceProvider {
        private static final Map<String, List<String>> TABLE = new ConcurrentHashMap<>();

        static void set(String user, List<String> groups) {
            TABLE.put(user, List.copyOf(groups));
        }

        @Override
        public List<String> getGroups(String user) {
            return TABLE.getOrDefault(user, Collections.emptyList());
        }

        @Override
        public void cacheGroupsRefresh() {
        }

        @Override
        public void cacheGroupsAdd(List<String> groups) {
        }
    }
}
