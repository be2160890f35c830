// The vector selectors of a PromQL expression as Grafana dashboards write them: every metric name
// with its label matchers. Function and aggregation names, `by (...)`/`on (...)` label lists,
// strings, numbers, durations, range selectors and Grafana variables ($x, ${x}) are skipped.
// Anything it does not know (an unknown function, a stray character) throws, so a dashboard
// expression can never slip through the check half read.

// PromQL's functions and aggregation operators (Prometheus 2.x and 3.x), plus the @ modifiers.
const FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh',
  'avg_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh',
  'count_over_time', 'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'deg',
  'delta', 'deriv', 'exp', 'floor', 'histogram_avg', 'histogram_count', 'histogram_fraction',
  'histogram_quantile', 'histogram_stddev', 'histogram_stdvar', 'histogram_sum', 'holt_winters',
  'hour', 'idelta', 'increase', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln',
  'log10', 'log2', 'mad_over_time', 'max_over_time', 'min_over_time', 'minute', 'month',
  'predict_linear', 'present_over_time', 'quantile_over_time', 'rad', 'rate', 'resets', 'round',
  'scalar', 'sgn', 'sin', 'sinh', 'sort', 'sort_by_label', 'sort_by_label_desc', 'sort_desc',
  'sqrt', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time', 'tan', 'tanh', 'time',
  'timestamp', 'vector', 'year', 'pi', 'start', 'end',
  // Aggregation operators.
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk',
  'topk', 'quantile', 'limitk', 'limit_ratio',
]);
// Keywords followed by a parenthesised list of label names.
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left',
  'group_right']);
const OPERATOR_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2']);
const MATCH_OPS = ['=~', '!~', '!=', '='];
// `a, b)` after the opening parenthesis of a label list.
const LABEL_LIST = /\s*(?:[a-zA-Z_][a-zA-Z0-9_]*\s*(?:,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*)*,?\s*)?\)/y;
// Hexadecimal, a duration such as 1h30m (after offset), or a decimal float.
const NUMBER_OR_DURATION =
  /(?:0x[0-9a-fA-F]+|(?:[0-9]+(?:ms|s|m|h|d|w|y))+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)/y;

class PromqlScanner {
  constructor(expr) {
    this.expr = expr;
    this.pos = 0;
  }

  fail(what) {
    throw new Error(`PromQL: ${what} at offset ${this.pos} in: ${this.expr}`);
  }

  skipSpace() {
    for (;;) {
      while (this.pos < this.expr.length && /\s/.test(this.expr[this.pos])) this.pos++;
      if (this.expr[this.pos] !== '#') return;
      while (this.pos < this.expr.length && this.expr[this.pos] !== '\n') this.pos++;
    }
  }

  match(re) {
    re.lastIndex = this.pos;
    const m = re.exec(this.expr);
    if (m) this.pos += m[0].length;
    return m;
  }

  // A quoted string; returns its (unescaped enough for label values) content.
  string() {
    const m = this.match(/"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`([^`]*)`/y);
    if (!m) this.fail('expected a string');
    return m[1] ?? m[2] ?? m[3];
  }

  // `{a="x", b=~"y"}` after the `{`; returns the matchers.
  matchers() {
    const out = [];
    for (;;) {
      this.skipSpace();
      if (this.expr[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const label = this.match(/[a-zA-Z_][a-zA-Z0-9_]*/y);
      if (!label) this.fail('expected a label name in a selector');
      this.skipSpace();
      const op = MATCH_OPS.find((o) => this.expr.startsWith(o, this.pos));
      if (!op) this.fail('expected a matcher operator');
      this.pos += op.length;
      this.skipSpace();
      out.push({ label: label[0], op, value: this.string() });
      this.skipSpace();
      if (this.expr[this.pos] === ',') this.pos++;
      else if (this.expr[this.pos] !== '}') this.fail("expected ',' or '}' in a selector");
    }
  }

  // `(a, b)` after by/on/...; the labels are not metrics.
  labelList() {
    this.skipSpace();
    if (this.expr[this.pos] !== '(') return;
    this.pos++;
    if (!this.match(LABEL_LIST)) {
      this.fail('expected a list of label names');
    }
  }

  selectors() {
    const found = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.expr.length) return found;
      const c = this.expr[this.pos];
      if (c === '"' || c === "'" || c === '`') {
        this.string();
      } else if (c === '[') {
        // A range or subquery: durations and Grafana variables only.
        if (!this.match(/\[\s*[0-9a-zA-Z_$.{}]+\s*(?::\s*[0-9a-zA-Z_$.{}]*\s*)?\]/y)) {
          this.fail('unexpected range selector');
        }
      } else if (c === '$') {
        if (!this.match(/\$(?:\{[a-zA-Z0-9_:.]+\}|[a-zA-Z0-9_]+)/y)) this.fail('bad variable');
      } else if (c === '{') {
        // A selector with no metric name: only {__name__="..."} names one.
        this.pos++;
        const matchers = this.matchers();
        const name = matchers.find((m) => m.label === '__name__' && m.op === '=');
        if (!name) this.fail('selector without a metric name');
        found.push({ name: name.value, matchers: matchers.filter((m) => m !== name) });
      } else if (this.match(NUMBER_OR_DURATION)) {
        // A number or a duration (after offset).
      } else if (this.match(/(?:==|!=|<=|>=|[-+*/%^<>(),@])/y)) {
        // An operator or punctuation.
      } else {
        const id = this.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/y);
        if (!id) this.fail(`unexpected character '${c}'`);
        const word = id[0];
        const start = this.pos;
        this.skipSpace();
        // `sum by (l) (x)` and `sum without (l) (x)`: an aggregation with its grouping first.
        const calls = this.expr[this.pos] === '(' ||
          (FUNCTIONS.has(word) && /^(?:by|without)\s*\(/.test(this.expr.slice(this.pos)));
        this.pos = start;
        if (LABEL_LIST_KEYWORDS.has(word)) {
          this.labelList();
        } else if (OPERATOR_KEYWORDS.has(word) || /^(?:inf|nan)$/i.test(word)) {
          // Binary operator keyword or a special float.
        } else if (calls) {
          if (!FUNCTIONS.has(word)) this.fail(`unknown function '${word}'`);
        } else {
          this.skipSpace();
          let matchers = [];
          if (this.expr[this.pos] === '{') {
            this.pos++;
            matchers = this.matchers();
          }
          found.push({ name: word, matchers });
        }
      }
    }
  }
}

// [{name, matchers: [{label, op, value}]}] for every vector selector in `expr`, in order.
export function promqlSelectors(expr) {
  return new PromqlScanner(expr).selectors();
}

// Grafana's Prometheus variable query `label_values(SELECTOR, LABEL)`: the selectors and the label.
export function labelValuesQuery(query) {
  const m = /^\s*label_values\(\s*([\s\S]+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(query);
  if (!m) {
    throw new Error(`unsupported variable query (want label_values(SELECTOR, LABEL)): ${query}`);
  }
  return { selectors: promqlSelectors(m[1]), label: m[2] };
}

// The metric family a sample name belongs to: histogram series (_bucket, _sum, _count) map to
// their family when `types` (family name -> TYPE) says it is a histogram or a summary.
export function metricFamily(name, types) {
  if (types.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m && ['histogram', 'summary'].includes(types.get(m[1]))) {
    if (m[2] !== 'bucket' || types.get(m[1]) === 'histogram') return m[1];
  }
  return undefined;
}
