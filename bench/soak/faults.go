package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/landerd/landerd/test/system/kafkacluster"
	"github.com/landerd/landerd/test/system/minidfs"
)

// faultKind is what a scheduled fault does.
type faultKind int

const (
	// stopDataNode stops a DataNode and restarts it after datanodeDown.
	stopDataNode faultKind = iota
	// termBroker sends the group's coordinator SIGTERM and restarts it
	// after brokerDown.
	termBroker
	// killBroker sends the group's coordinator SIGKILL and restarts it
	// after brokerDown.
	killBroker
)

func (k faultKind) String() string {
	switch k {
	case stopDataNode:
		return "DataNode stopped"
	case termBroker:
		return "broker stopped (SIGTERM)"
	case killBroker:
		return "broker killed (SIGKILL)"
	}
	return fmt.Sprintf("fault %d", int(k))
}

// fault is one scheduled fault, at an offset from the daemon's start.
type fault struct {
	at       time.Duration
	kind     faultKind
	datanode int // stopDataNode: which, 0-based
}

// schedule returns the run's faults in time order: a DataNode stopped every
// datanodeEvery (the three in turn), each back before the run ends, and
// two broker restarts at the odd multiples of half of datanodeEvery
// nearest a third and two thirds of the run, between DataNode faults.
func schedule(o options) []fault {
	var out []fault
	for i := 1; ; i++ {
		at := time.Duration(i) * o.datanodeEvery
		if at+o.datanodeDown >= o.duration {
			break
		}
		out = append(out, fault{at: at, kind: stopDataNode, datanode: (i - 1) % 3})
	}
	half := o.datanodeEvery / 2
	for i, kind := range []faultKind{termBroker, killBroker} {
		target := o.duration * time.Duration(i+1) / 3
		k := math.Round((float64(target)/float64(half) - 1) / 2)
		at := time.Duration(2*max(k, 0)+1) * half
		if at+o.brokerDown >= o.duration {
			continue
		}
		out = append(out, fault{at: at, kind: kind})
	}
	slices.SortStableFunc(out, func(a, b fault) int { return int(a.at - b.at) })
	return out
}

// event is a fault as it happened.
type event struct {
	fault
	began  time.Duration // from the daemon's start
	down   time.Duration // from the stop to the start of the restart
	back   time.Duration // how long the restart took
	broker int           // broker faults: which, 0-based
}

func (e event) String() string {
	who := fmt.Sprintf("DataNode %d", e.datanode+1)
	if e.kind != stopDataNode {
		who = fmt.Sprintf("broker %d (the group's coordinator)", e.broker+1)
	}
	return fmt.Sprintf("%8s  %-25s %s, down %s, back in %s", clock(e.began), e.kind, who,
		e.down.Round(100*time.Millisecond), e.back.Round(100*time.Millisecond))
}

// faulter runs a schedule against the clusters.
type faulter struct {
	kafka  *kafkacluster.Cluster
	dfs    *minidfs.Cluster
	topic  string
	group  string
	opt    options
	start  time.Time // the daemon's start
	log    io.Writer
	mu     sync.Mutex
	events []event
}

// run carries out the faults due before ctx ends, each in full: a stopped
// node is always restarted, at once when ctx ends while it is down. It
// returns the first failure to stop or restart a node.
func (f *faulter) run(ctx context.Context, faults []fault) error {
	for _, ft := range faults {
		timer := time.NewTimer(time.Until(f.start.Add(ft.at)))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		e := event{fault: ft, began: time.Since(f.start)}
		var err error
		if ft.kind == stopDataNode {
			err = f.datanode(ctx, &e)
		} else {
			err = f.broker(ctx, &e)
		}
		if err != nil {
			return fmt.Errorf("%s at %s: %w", ft.kind, clock(e.began), err)
		}
		f.mu.Lock()
		f.events = append(f.events, e)
		f.mu.Unlock()
		fmt.Fprintf(f.log, "fault: %s\n", e)
	}
	return nil
}

// done returns the faults carried out so far.
func (f *faulter) done() []event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// count returns how many of events are of one of kinds.
func count(events []event, kinds ...faultKind) int {
	var n int
	for _, e := range events {
		if slices.Contains(kinds, e.kind) {
			n++
		}
	}
	return n
}

func (f *faulter) datanode(ctx context.Context, e *event) error {
	if err := f.dfs.StopDataNode(e.datanode); err != nil {
		return err
	}
	stopped := time.Now()
	sleep(ctx, f.opt.datanodeDown)
	e.down = time.Since(stopped)
	begin := time.Now()
	if err := f.dfs.RestartDataNode(e.datanode); err != nil {
		return err
	}
	e.back = time.Since(begin)
	return nil
}

func (f *faulter) broker(ctx context.Context, e *event) error {
	coord, err := coordinator(ctx, f.kafka, f.group)
	if err != nil {
		return err
	}
	e.broker = coord
	if e.kind == termBroker {
		err = f.kafka.Stop(coord)
	} else {
		err = f.kafka.Kill(coord)
	}
	if err != nil {
		return err
	}
	stopped := time.Now()
	sleep(ctx, f.opt.brokerDown)
	e.down = time.Since(stopped)
	begin := time.Now()
	if err := f.kafka.Restart(coord); err != nil {
		return err
	}
	// Back means every replica in sync again, so that the next fault
	// meets a whole cluster; a context of its own, so that the end of the
	// run does not cut it short.
	syncCtx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := f.kafka.WaitInSync(syncCtx, f.topic); err != nil {
		return err
	}
	e.back = time.Since(begin)
	return nil
}

// coordinator returns the index of the broker that coordinates group,
// asking for a minute at most while the group has none yet.
func coordinator(ctx context.Context, kc *kafkacluster.Cluster, group string) (int, error) {
	cl, err := kc.Client()
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorKey = group
		req.CoordinatorKeys = []string{group}
		resp, err := req.RequestWith(ctx, cl)
		if err == nil {
			node, code := resp.NodeID, resp.ErrorCode
			if len(resp.Coordinators) > 0 {
				node, code = resp.Coordinators[0].NodeID, resp.Coordinators[0].ErrorCode
			}
			err = kerr.ErrorForCode(code)
			if err == nil && (node < 1 || int(node) > kc.Brokers()) {
				return 0, fmt.Errorf("coordinator of %s: node %d is not one of the %d brokers", group, node, kc.Brokers())
			}
			if err == nil {
				return int(node) - 1, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("coordinator of %s: %w", group, err)
		case <-time.After(time.Second):
		}
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// clock formats an offset from the daemon's start as minutes and seconds.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
}
