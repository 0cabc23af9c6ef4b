package lander

import (
	"bytes"
	"fmt"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// header is one Kafka record header.
type header struct {
	key, value []byte
}

// tenantResolver names the tenant of each record, from the source the
// tenancy configuration says. It does not change while the lander runs,
// and owners share it.
type tenantResolver struct {
	tenancy config.Tenancy
	header  []byte            // the header holding the tenant, for source header
	known   map[string]string // the configured tenants, each its own name
}

func newTenantResolver(t config.Tenancy) *tenantResolver {
	r := &tenantResolver{tenancy: t, header: []byte(t.Header), known: make(map[string]string, len(t.Tenants))}
	for _, tn := range t.Tenants {
		r.known[tn.Name] = tn.Name
	}
	return r
}

// enabled reports whether records are assigned to tenants at all; a nil
// resolver assigns none.
func (r *tenantResolver) enabled() bool { return r != nil && r.tenancy.Enabled() }

// needsHeaders reports whether resolve reads record headers, so that the
// consumer passes them on only then.
func (r *tenantResolver) needsHeaders() bool {
	return r.enabled() && r.tenancy.Source == config.TenantSourceHeader
}

// resolve returns the tenant of a record of topic with headers: "" when
// tenancy is off, and otherwise a configured tenant, or an error with
// reason tenant_missing or tenant_unknown naming the offending header
// value or topic.
func (r *tenantResolver) resolve(topic string, headers []header) (string, *flatten.InvalidError) {
	if !r.enabled() {
		return "", nil
	}
	switch r.tenancy.Source {
	case config.TenantSourceHeader:
		return r.fromHeader(headers)
	case config.TenantSourceTopic:
		return r.fromTopic(topic)
	}
	return "", nil
}

func (r *tenantResolver) fromHeader(headers []header) (string, *flatten.InvalidError) {
	for _, h := range headers {
		if !bytes.Equal(h.key, r.header) {
			continue
		}
		if len(h.value) == 0 {
			return "", tenantError(flatten.ReasonTenantMissing, fmt.Sprintf("header %q is empty", r.header))
		}
		t, ok := r.known[string(h.value)] // the configured string: no copy per record
		if !ok {
			return "", tenantError(flatten.ReasonTenantUnknown,
				fmt.Sprintf("header %q holds %q, which is not a configured tenant", r.header, h.value))
		}
		return t, nil
	}
	return "", tenantError(flatten.ReasonTenantMissing, fmt.Sprintf("no header %q", r.header))
}

func (r *tenantResolver) fromTopic(topic string) (string, *flatten.InvalidError) {
	t, ok := r.tenancy.TenantOfTopic(topic)
	if !ok {
		return "", tenantError(flatten.ReasonTenantUnknown,
			fmt.Sprintf("topic %q does not match tenancy.topic_pattern %q", topic, r.tenancy.TopicPattern))
	}
	if _, ok := r.known[t]; !ok {
		return "", tenantError(flatten.ReasonTenantUnknown,
			fmt.Sprintf("topic %q names tenant %q, which is not a configured tenant", topic, t))
	}
	return t, nil
}

// tenantError is a record's tenant problem: not tied to a place in its value.
func tenantError(reason flatten.Reason, msg string) *flatten.InvalidError {
	return &flatten.InvalidError{Reason: reason, Offset: -1, Msg: msg}
}

// tenantHive puts hive under tenant's directory (sink.TenantHive), the
// first Hive level of every table when tenancy is on; without tenancy hive
// is unchanged.
func (r *tenantResolver) tenantHive(tenant, hive string) string {
	if !r.enabled() {
		return hive
	}
	return sink.TenantHive(tenant, hive)
}
