#pragma once
// The definitions of segkit/index/attributes.hpp's non-template functions
// (declared SEGKIT_FUNC there): included at that header's end in header-only mode; in compiled
// mode compiled once into segkit::segkit_compiled, after the header (cmake/segkit-compiled.cmake).
// Not for including on its own.

namespace segkit::index {

struct attribute_filter::parser {
  parser(std::string_view s, const attribute_table& t, std::int64_t n) : src(s), table(t), now(n) {}

  std::string_view src;
  const attribute_table& table;
  std::int64_t now;
  std::vector<node> nodes;
  std::size_t at = 0;
  token tok;
  bool primed = false;
  int depth = 0;  // nesting of parentheses and 'not': bounded, so the recursion cannot exhaust the stack

  [[noreturn]] void fail(std::size_t pos, std::string_view message) const {
    segkit::detail::throw_invalid("segkit::index::filter", fmt::format("at position {}: {}", pos + 1, message));
  }

  token next_token() {
    while (at < src.size() && std::isspace(static_cast<unsigned char>(src[at]))) ++at;
    token t;
    t.pos = at;
    if (at >= src.size()) return t;
    const char ch = src[at];
    if (std::isalpha(static_cast<unsigned char>(ch)) || ch == '_') {
      const std::size_t b = at;
      while (at < src.size() && (std::isalnum(static_cast<unsigned char>(src[at])) || src[at] == '_' || src[at] == '.')) ++at;
      t.kind = token::ident;
      t.value = std::string(src.substr(b, at - b));
    } else if (std::isdigit(static_cast<unsigned char>(ch)) || (ch == '.' && at + 1 < src.size() && std::isdigit(static_cast<unsigned char>(src[at + 1])))) {
      const std::size_t b = at;
      while (at < src.size() && (std::isalnum(static_cast<unsigned char>(src[at])) || src[at] == '.' ||
                                 ((src[at] == '+' || src[at] == '-') && (src[at - 1] == 'e' || src[at - 1] == 'E')))) {
        ++at;
      }
      t.kind = token::number;
      t.value = std::string(src.substr(b, at - b));
    } else if (ch == '\'' || ch == '"') {
      ++at;
      while (true) {
        if (at >= src.size()) fail(t.pos, "unterminated string");
        if (src[at] == ch) {
          if (at + 1 < src.size() && src[at + 1] == ch) {  // doubled quote
            t.value += ch;
            at += 2;
            continue;
          }
          ++at;
          break;
        }
        t.value += src[at++];
      }
      t.kind = token::text;
    } else if (ch == '(' || ch == ')' || ch == ',' || ch == '+' || ch == '-') {
      t.kind = ch == '(' ? token::lparen : ch == ')' ? token::rparen : ch == ',' ? token::comma : ch == '+' ? token::plus : token::minus;
      t.value = std::string(1, ch);
      ++at;
    } else if (ch == '=' || ch == '!' || ch == '<' || ch == '>') {
      t.kind = token::cmp;
      t.value = std::string(1, ch);
      ++at;
      if (at < src.size() && src[at] == '=') {
        t.value += '=';
        ++at;
      }
      if (t.value == "!") fail(t.pos, "'!' must be followed by '=' (use 'not' for negation)");
    } else {
      fail(at, fmt::format("unexpected character '{}'", ch));
    }
    return t;
  }

  const token& peek() {
    if (!primed) {
      tok = next_token();
      primed = true;
    }
    return tok;
  }
  token take() {
    peek();
    primed = false;
    return tok;
  }
  static bool keyword(const token& t, std::string_view word) {
    if (t.kind != token::ident || t.value.size() != word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(t.value[i])) != word[i]) return false;
    }
    return true;
  }

  std::size_t add(node n) {
    nodes.push_back(std::move(n));
    return nodes.size() - 1;
  }

  std::size_t parse_all() {
    if (peek().kind == token::end) fail(0, "empty filter expression");
    const std::size_t root = parse_or();
    if (peek().kind != token::end) fail(peek().pos, fmt::format("unexpected '{}' after a complete expression", peek().value));
    return root;
  }
  std::size_t parse_or() {
    std::size_t left = parse_and();
    while (keyword(peek(), "or")) {
      take();
      node n;
      n.kind = op::or_;
      n.left = left;
      n.right = parse_and();
      left = add(std::move(n));
    }
    return left;
  }
  std::size_t parse_and() {
    std::size_t left = parse_not();
    while (keyword(peek(), "and")) {
      take();
      node n;
      n.kind = op::and_;
      n.left = left;
      n.right = parse_not();
      left = add(std::move(n));
    }
    return left;
  }
  std::size_t parse_not() {
    if (nodes.size() > 10000) fail(peek().pos, "expression too long (over 10,000 terms)");
    if (++depth > 256) fail(peek().pos, "expression nested too deeply (over 256 levels)");
    std::size_t result = 0;
    if (keyword(peek(), "not")) {
      take();
      node n;
      n.kind = op::not_;
      n.left = parse_not();
      result = add(std::move(n));
    } else if (peek().kind == token::lparen) {
      take();
      result = parse_or();
      if (peek().kind != token::rparen) fail(peek().pos, "expected ')'");
      take();
    } else {
      result = parse_comparison();
    }
    --depth;
    return result;
  }

  std::size_t parse_comparison() {
    const token name = take();
    if (name.kind != token::ident) fail(name.pos, name.kind == token::end ? "expected a column name, found the end" : fmt::format("expected a column name, found '{}'", name.value));
    const auto& cols = table.columns();
    std::size_t column = cols.size();
    for (std::size_t c = 0; c < cols.size(); ++c) {
      if (cols[c].name == name.value) column = c;
    }
    if (column == cols.size()) fail(name.pos, fmt::format("unknown attribute '{}'", name.value));
    const auto& col = cols[column];
    node n;
    n.column = column;
    bool negate_in = false;
    if (keyword(peek(), "not")) {
      take();
      negate_in = true;
      if (!keyword(peek(), "in")) fail(peek().pos, "expected 'in' after 'not'");
    }
    if (keyword(peek(), "in")) {
      take();
      n.kind = negate_in ? op::not_in : op::in;
      if (peek().kind != token::lparen) fail(peek().pos, "expected '(' after 'in'");
      take();
      while (true) {
        read_value(col, n, true);
        const token sep = take();
        if (sep.kind == token::rparen) break;
        if (sep.kind != token::comma) fail(sep.pos, "expected ',' or ')' in the value list");
      }
      return add(std::move(n));
    }
    const token cmp = take();
    if (cmp.kind != token::cmp) fail(cmp.pos, fmt::format("expected a comparison after '{}'", name.value));
    if (cmp.value == "==" || cmp.value == "=") n.kind = op::eq;
    else if (cmp.value == "!=") n.kind = op::ne;
    else if (cmp.value == "<") n.kind = op::lt;
    else if (cmp.value == "<=") n.kind = op::le;
    else if (cmp.value == ">") n.kind = op::gt;
    else n.kind = op::ge;
    if (col.type == attribute_type::text && n.kind != op::eq && n.kind != op::ne) {
      fail(cmp.pos, fmt::format("'{}' is a string attribute: only ==, != and in apply", col.name));
    }
    read_value(col, n, false);
    return add(std::move(n));
  }

  // Reads one literal for `col` into n (the comparison value, or one more list entry).
  void read_value(const attribute_table::column& col, node& n, bool list) {
    const token v = take();
    if (col.type == attribute_type::text) {
      if (v.kind != token::text) fail(v.pos, fmt::format("'{}' is a string attribute: expected a quoted string", col.name));
      const auto it = col.codes.find(v.value);
      n.codes.push_back(it == col.codes.end() ? -1 : it->second);  // an unknown string matches nothing
      return;
    }
    double value = 0.0;
    if (col.type == attribute_type::timestamp && keyword(v, "now")) {
      value = static_cast<double>(now) + offset();
    } else if (col.type == attribute_type::timestamp && v.kind == token::text) {
      const auto t = segkit::parse_timestamp(v.value);
      if (!t) fail(v.pos, fmt::format("'{}' is not a date (YYYY-MM-DD[THH:MM[:SS]][Z])", v.value));
      value = static_cast<double>(*t);
    } else {
      bool negative = false;
      token num = v;
      if (num.kind == token::minus || num.kind == token::plus) {
        negative = num.kind == token::minus;
        num = take();
      }
      if (num.kind != token::number) fail(num.pos, fmt::format("'{}' is a numeric attribute: expected a number", col.name));
      const auto x = segkit::parse_real(num.value);
      if (!x) fail(num.pos, fmt::format("'{}' is not a number", num.value));
      value = negative ? -*x : *x;
    }
    if (list) {
      n.numbers.push_back(value);
    } else {
      n.number = value;
    }
  }

  // After `now`: an optional '+' or '-' number unit.
  double offset() {
    if (peek().kind != token::plus && peek().kind != token::minus) return 0.0;
    const bool minus = take().kind == token::minus;
    const token num = take();
    const auto x = num.kind == token::number ? segkit::parse_real(num.value) : std::nullopt;
    if (!x) fail(num.pos, "expected a number after 'now +' or 'now -'");
    const token unit = take();
    double seconds = 0.0;
    if (keyword(unit, "s") || keyword(unit, "sec") || keyword(unit, "second") || keyword(unit, "seconds")) seconds = 1;
    else if (keyword(unit, "min") || keyword(unit, "minute") || keyword(unit, "minutes")) seconds = 60;
    else if (keyword(unit, "h") || keyword(unit, "hour") || keyword(unit, "hours")) seconds = 3600;
    else if (keyword(unit, "d") || keyword(unit, "day") || keyword(unit, "days")) seconds = 86400;
    else if (keyword(unit, "w") || keyword(unit, "week") || keyword(unit, "weeks")) seconds = 604800;
    else fail(unit.pos, "expected a time unit (seconds, minutes, hours, days or weeks)");
    return (minus ? -1.0 : 1.0) * *x * seconds;
  }
};

}  // namespace segkit::index

namespace segkit::index {

SEGKIT_FUNC attribute_table attribute_table::from_csv(const csv_table& csv, std::string_view id_column) {
  using segkit::detail::throw_invalid;
  const char* comp = detail::attributes_component;
  const auto& header = csv.header();
  std::size_t id_at = header.size();
  attribute_table t;
  std::vector<std::size_t> source;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const auto colon = header[c].rfind(':');
    const std::string name = colon == std::string::npos ? header[c] : header[c].substr(0, colon);
    if (name == id_column) {
      id_at = c;
      continue;
    }
    column col;
    col.name = name;
    if (colon != std::string::npos) {
      const std::string type = header[c].substr(colon + 1);
      if (type == "int") col.type = attribute_type::integer;
      else if (type == "double") col.type = attribute_type::real;
      else if (type == "string") col.type = attribute_type::text;
      else if (type == "timestamp") col.type = attribute_type::timestamp;
      else throw_invalid(comp, fmt::format("column '{}': unknown type '{}' (int, double, string or timestamp)", name, type));
    } else {
      col.type = infer(csv, c);
    }
    if (t.find(name) != nullptr) throw_invalid(comp, fmt::format("column '{}' appears twice", name));
    t.columns_.push_back(std::move(col));
    source.push_back(c);
  }
  if (id_at == header.size()) throw_invalid(comp, fmt::format("no '{}' column in the CSV header", id_column));
  if (t.columns_.size() > 4096) throw_invalid(comp, fmt::format("{} attribute columns (at most 4,096)", t.columns_.size()));
  for (std::size_t r = 0; r < csv.row_count(); ++r) {
    const auto& row = csv.rows()[r];
    const auto id = segkit::parse_integer(row[id_at]);
    if (!id || *id < 0) throw_invalid(comp, fmt::format("row {}: id '{}' is not a non-negative integer", r + 1, row[id_at]));
    const auto at = t.rows_.size();
    if (!t.rows_.emplace(static_cast<id_type>(*id), at).second) throw_invalid(comp, fmt::format("row {}: id {} appears twice", r + 1, *id));
    for (std::size_t c = 0; c < t.columns_.size(); ++c) t.append(t.columns_[c], row[source[c]], r + 1);
  }
  return t;
}

SEGKIT_FUNC std::vector<id_type> attribute_table::ids() const {
  std::vector<id_type> out(rows_.size());
  for (const auto& [id, row] : rows_) out[row] = id;
  return out;
}

SEGKIT_FUNC void attribute_table::write(container_writer& w) const {
  byte_writer meta;
  meta.put(std::uint32_t{1}).put(static_cast<std::uint64_t>(rows_.size())).put(static_cast<std::uint64_t>(columns_.size()));
  for (const auto& c : columns_) {
    meta.put_string(c.name).put(static_cast<std::uint8_t>(c.type)).put(static_cast<std::uint64_t>(c.dictionary.size()));
    for (const auto& s : c.dictionary) meta.put_string(s);
  }
  w.add_copy("attr.m", meta.bytes());
  w.add_array_copy<id_type>("attr.id", ids());
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const auto& c = columns_[i];
    if (c.type == attribute_type::real) {
      w.add_array_copy<double>(fmt::format("av{}", i), c.reals);
    } else {
      w.add_array_copy<std::int64_t>(fmt::format("av{}", i), c.ints);
    }
    w.add_array_copy<std::uint8_t>(fmt::format("an{}", i), c.is_null);
  }
}

SEGKIT_FUNC attribute_table attribute_table::read(const container_reader& file) {
  byte_reader meta(file.section("attr.m"), file);
  if (meta.get<std::uint32_t>() != 1) file.fail("attribute table version is not supported");
  const auto n = meta.get<std::uint64_t>(), cols = meta.get<std::uint64_t>();
  if (n > (std::uint64_t{1} << 40) || cols > 4096) file.fail("implausible attribute table shape");
  attribute_table t;
  const auto ids = file.array<id_type>("attr.id", n);
  for (std::size_t r = 0; r < n; ++r) {
    if (!t.rows_.emplace(ids[r], r).second) file.fail(fmt::format("attribute id {} appears twice", ids[r]));
  }
  for (std::size_t i = 0; i < cols; ++i) {
    column c;
    c.name = meta.get_string();
    const auto type = meta.get<std::uint8_t>();
    if (type > 3) file.fail("unknown attribute type");
    c.type = static_cast<attribute_type>(type);
    const auto words = meta.get<std::uint64_t>();
    if (words > n) file.fail("implausible dictionary size");
    for (std::uint64_t j = 0; j < words; ++j) {
      c.dictionary.push_back(meta.get_string());
      c.codes.emplace(c.dictionary.back(), static_cast<std::int64_t>(j));
    }
    if (c.type == attribute_type::real) {
      c.reals = file.array<double>(fmt::format("av{}", i), n);
    } else {
      c.ints = file.array<std::int64_t>(fmt::format("av{}", i), n);
    }
    c.is_null = file.array<std::uint8_t>(fmt::format("an{}", i), n);
    if (c.type == attribute_type::real) {  // as from_csv makes them: a value or null, never NaN/Inf
      for (std::size_t r = 0; r < n; ++r) {
        if (c.is_null[r] == 0 && !std::isfinite(c.reals[r])) file.fail(fmt::format("real attribute '{}' holds a non-finite value at row {}", c.name, r));
      }
    }
    if (c.type == attribute_type::text) {
      for (std::size_t r = 0; r < n; ++r) {
        if (c.is_null[r] == 0 && (c.ints[r] < 0 || static_cast<std::uint64_t>(c.ints[r]) >= words)) file.fail("text attribute code out of range");
      }
    }
    t.columns_.push_back(std::move(c));
  }
  return t;
}

SEGKIT_FUNC attribute_type attribute_table::infer(const csv_table& csv, std::size_t c) {
  bool ints = true, reals = true, times = true, any = false;
  for (const auto& row : csv.rows()) {
    const std::string& v = row[c];
    if (v.empty()) continue;
    any = true;
    ints = ints && segkit::parse_integer(v).has_value();
    reals = reals && segkit::parse_real(v).has_value();
    times = times && segkit::parse_timestamp(v).has_value();
  }
  if (!any) return attribute_type::text;
  if (ints) return attribute_type::integer;
  if (reals) return attribute_type::real;
  if (times) return attribute_type::timestamp;
  return attribute_type::text;
}

SEGKIT_FUNC void attribute_table::append(column& c, const std::string& v, std::size_t row) {
  c.is_null.push_back(v.empty() ? 1 : 0);
  const auto bad = [&](const char* what) {
    segkit::detail::throw_invalid(detail::attributes_component, fmt::format("row {}, column '{}': '{}' is not {}", row, c.name, v, what));
  };
  switch (c.type) {
    case attribute_type::integer: {
      const auto x = v.empty() ? std::optional<std::int64_t>(0) : segkit::parse_integer(v);
      if (!x) bad("an integer");
      c.ints.push_back(*x);
      break;
    }
    case attribute_type::real: {
      const auto x = v.empty() ? std::optional<double>(0.0) : segkit::parse_real(v);
      if (!x) bad("a finite number");
      c.reals.push_back(*x);
      break;
    }
    case attribute_type::timestamp: {
      const auto x = v.empty() ? std::optional<std::int64_t>(0) : segkit::parse_timestamp(v);
      if (!x) bad("a date (YYYY-MM-DD[THH:MM[:SS]][Z])");
      c.ints.push_back(*x);
      break;
    }
    case attribute_type::text: {
      const auto [it, fresh] = c.codes.emplace(v, static_cast<std::int64_t>(c.dictionary.size()));
      if (fresh) c.dictionary.push_back(v);
      c.ints.push_back(v.empty() ? 0 : it->second);
      break;
    }
  }
}

SEGKIT_FUNC attribute_filter attribute_filter::parse(std::string_view expression, std::shared_ptr<const attribute_table> table, std::optional<std::int64_t> now) {
  if (!table) segkit::detail::throw_invalid("segkit::index::filter", "no attribute table");
  parser p(expression, *table, now ? *now : std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  attribute_filter f;
  f.root_ = p.parse_all();
  f.nodes_ = std::move(p.nodes);
  f.table_ = std::move(table);
  return f;
}

SEGKIT_FUNC double attribute_filter::selectivity(std::size_t sample) const {
  const std::size_t n = table_->size();
  if (n == 0) return 0.0;
  const std::size_t m = std::min(n, std::max<std::size_t>(sample, 1));
  std::size_t pass = 0;
  for (std::size_t i = 0; i < m; ++i) pass += eval(root_, static_cast<std::ptrdiff_t>(i * n / m)) ? 1 : 0;
  return static_cast<double>(pass) / static_cast<double>(m);
}

}  // namespace segkit::index
