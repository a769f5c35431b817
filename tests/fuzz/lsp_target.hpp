// The body of the `lsp` fuzz target, shared by the libFuzzer executable (fuzz_lsp) and
// the corpus replay that every build runs as a test (fuzz_replay_lsp).
#pragma once

#include <cstddef>
#include <cstdint>

// The input's first byte chooses what the rest is:
//   'd' (a document): the text of an untitled rules file, opened on an initialized
//       server, changed once by a range taken from the input's size, then asked for
//       every request the server answers (hover, definition, references, symbols,
//       completion, prepareRename, rename, formatting, a code action) at positions that
//       fall anywhere, in the middle of a UTF-8 sequence or past the text's end;
//   'm' (messages): message bodies, one per line, handed to a fresh server as they are;
//   anything else: raw bytes for the base protocol's reader (lsp::MessageReader), each
//       message it reads handed to a server.
// Aborts when a promise breaks: nothing but lsp::ProtocolError is ever thrown (and that
// only by the reader); every message the server sends is a JSON-RPC 2.0 object; every
// request with an id gets exactly one response, with a result or an error. Returns 0
// otherwise, as libFuzzer expects.
int tiendo_fuzz_lsp(const std::uint8_t* data, std::size_t size);
