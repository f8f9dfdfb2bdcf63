// Package jsonscan is trailkit's one JSON scanner: the byte-level reading of
// JSON that the event, redact and digest packages share, so that they agree
// on what is JSON and what it means.
//
// The rules, the same for every caller:
//
//   - Input is RFC 8259 JSON in UTF-8; strings are validated, escapes
//     decoded, numbers kept as their text.
//   - A key that occurs twice in an object: the last one wins, as with
//     encoding/json. Callers that keep every member for a lossless round
//     trip keep both, but the value they report is the last.
//   - Nesting deeper than [MaxDepth] is a [*SyntaxError] wrapping
//     [ErrTooDeep], never a stack overflow.
//   - Anything after a value other than whitespace (a NUL byte, a second
//     value where one is expected) is an error at its offset, never a silent
//     end of input.
//   - Whitespace between tokens is insignificant: [AppendCompact] removes it
//     and size limits count the value without it.
//
// [Parser] reads a complete buffer; [Framer] finds where a value ends in a
// stream read in pieces, without validating it, so that a Parser can then
// read it whole.
package jsonscan
