package selector

// CloudTrail exception names that selector errors carry.
const (
	ExceptionInvalidEventSelectors   = "InvalidEventSelectorsException"
	ExceptionInvalidInsightSelectors = "InvalidInsightSelectorsException"
)

// Sentinels for errors.Is: an *Error is one of these when its Exception is
// the same.
var (
	ErrInvalidEventSelectors   = &Error{Exception: ExceptionInvalidEventSelectors}
	ErrInvalidInsightSelectors = &Error{Exception: ExceptionInvalidInsightSelectors}
)

// Error is a configuration that CloudTrail would refuse, described as
// CloudTrail describes it: the exception name PutEventSelectors or
// PutInsightSelectors answers with, and a message. Where CloudTrail's text is
// known (for example "Value arn:aws:s3:::bucket for DataResources.Values is
// invalid.") the message is that text; otherwise it names the selector and
// field in the style of the AWS SDKs' parameter validation.
type Error struct {
	Exception string // e.g. "InvalidEventSelectorsException"
	Message   string
	// Path locates the offending member in the request, e.g.
	// "AdvancedEventSelectors[1].FieldSelectors[0].Equals[2]"; empty when the
	// error concerns the request as a whole.
	Path string
}

// Error returns "<Exception>: <Message>", the form the AWS CLI prints.
func (e *Error) Error() string { return e.Exception + ": " + e.Message }

// Is reports whether target is an *Error with the same exception and, when
// target has one, the same message. It makes the Err sentinels work with
// errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.Exception != e.Exception {
		return false
	}
	return t.Message == "" || t.Message == e.Message
}

func eventSelectorsError(path, msg string) *Error {
	return &Error{Exception: ExceptionInvalidEventSelectors, Message: msg, Path: path}
}

func insightSelectorsError(path, msg string) *Error {
	return &Error{Exception: ExceptionInvalidInsightSelectors, Message: msg, Path: path}
}
