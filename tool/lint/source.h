// A parsed Python file: its text, line index and tree-sitter tree, with the small node
// helpers every analysis uses (text of a node, its position, field access by name).
#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pyrace::lint {

// 1-based line and column (columns count Unicode code points, as SARIF's
// "unicodeCodePoints" column kind and the caret renderer expect).
struct Pos {
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t end_line = 0;
  uint32_t end_col = 0;
  bool operator<(const Pos& o) const {
    return line != o.line ? line < o.line : col < o.col;
  }
  bool operator==(const Pos& o) const { return line == o.line && col == o.col; }
};

struct SyntaxError {
  Pos pos;
  std::string message;
};

class Source {
 public:
  Source(std::string path, std::string text);
  ~Source();
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  // Parses the text; false only if tree-sitter itself failed (never for bad Python).
  // tree-sitter's allocations during the parse come from this Source's arena (the tree
  // lives exactly as long as the Source), so they are released at once, without a walk.
  bool Parse();

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  TSNode root() const { return ts_tree_root_node(tree_); }

  std::string_view Text(TSNode n) const;
  Pos PosOf(TSNode n) const;
  std::string_view Line(uint32_t line) const;  // 1-based, without the newline
  uint32_t ColumnOf(uint32_t row, uint32_t byte_col) const;  // 0-based in, 1-based out

  // The first ERROR or MISSING node, if any, as a syntax error with its position.
  std::vector<SyntaxError> SyntaxErrors() const;

 private:
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
  TSTree* tree_ = nullptr;
  std::vector<std::pair<char*, size_t>> arena_;  // chunks holding the parser's and the tree's memory
};

// Node helpers. tree-sitter's node types are stable strings; comparing them is cheap next
// to the parse itself.
// Node kinds and fields are compared by the grammar's numeric ids, looked up once per
// name: `Is<"call">(n)`, `Field<"function">(n)`.
template <size_t N>
struct Lit {
  char s[N];
  constexpr Lit(const char (&v)[N]) {  // NOLINT: implicit by design
    for (size_t i = 0; i < N; ++i) s[i] = v[i];
  }
};
const TSLanguage* PythonLanguage();
template <Lit L>
TSSymbol SymbolId() {
  static const TSSymbol id = ts_language_symbol_for_name(PythonLanguage(), L.s, sizeof(L.s) - 1, true);
  return id;
}
template <Lit L>
TSFieldId FieldId() {
  static const TSFieldId id = ts_language_field_id_for_name(PythonLanguage(), L.s, sizeof(L.s) - 1);
  return id;
}
template <Lit L>
inline bool Is(TSNode n) {
  return !ts_node_is_null(n) && ts_node_symbol(n) == SymbolId<L>();
}
template <Lit L>
inline TSNode Field(TSNode n) {
  if (ts_node_is_null(n)) return n;
  return ts_node_child_by_field_id(n, FieldId<L>());
}
inline uint32_t NamedCount(TSNode n) { return ts_node_is_null(n) ? 0 : ts_node_named_child_count(n); }
inline TSNode NamedChild(TSNode n, uint32_t i) { return ts_node_named_child(n, i); }
// Calls f(child) for each named child. ts_node_named_child(i) walks from the first
// child, so indexed loops are quadratic on long blocks; a cursor is linear.
template <class F>
void ForEachNamed(TSNode n, F&& f) {
  uint32_t c = NamedCount(n);
  if (c <= 6) {
    for (uint32_t i = 0; i < c; ++i) f(ts_node_named_child(n, i));
    return;
  }
  TSTreeCursor cur = ts_tree_cursor_new(n);
  if (ts_tree_cursor_goto_first_child(&cur)) {
    do {
      TSNode ch = ts_tree_cursor_current_node(&cur);
      if (ts_node_is_named(ch)) f(ch);
    } while (ts_tree_cursor_goto_next_sibling(&cur));
  }
  ts_tree_cursor_delete(&cur);
}
// Strips parentheses around an expression.
TSNode Unparen(TSNode n);

}  // namespace pyrace::lint
