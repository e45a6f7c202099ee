package analysis

import (
	"context"
	"errors"
	"time"
)

// ErrNoValuesFound is returned by a Querier when the query returned no
// usable value: an empty vector, NaN (0/0, the success rate of a workload
// without traffic) or ±Inf. Flagger counts it as a failed check unless the
// metric says onNoData: skip.
var ErrNoValuesFound = errors.New("no values found")

// Querier runs an instant query and returns its value at time t. A zero t
// means "now" as the metrics server sees it.
type Querier interface {
	Query(ctx context.Context, query string, t time.Time) (float64, error)
}

// QuerierFunc adapts a function to the Querier interface.
type QuerierFunc func(ctx context.Context, query string, t time.Time) (float64, error)

// Query calls f(ctx, query, t).
func (f QuerierFunc) Query(ctx context.Context, query string, t time.Time) (float64, error) {
	return f(ctx, query, t)
}
