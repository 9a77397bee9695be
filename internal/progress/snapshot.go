package progress

// Snapshot is the state of an operation at one moment.
type Snapshot struct {
	// Phase is a short lowercase word naming what the operation is doing
	// ("fetching", "writing"); a change of phase is always reported.
	Phase string
	// Label is the bar's text for the phase ("Receiving objects"); Phase
	// when empty. It is not part of the JSON stream.
	Label string
	// Done and Total count units of work (objects): done so far, and
	// known so far (0 when nothing is known yet). Total may grow.
	Done, Total int64
	// Bytes counts bytes moved so far; it drives the rate.
	Bytes int64
	// Fields are further counters for the JSON stream, in order.
	Fields []Field
}

// Field is a named counter of the JSON stream. Name is a lowercase
// identifier such as "metadata_fetched".
type Field struct {
	Name  string
	Value int64
}
