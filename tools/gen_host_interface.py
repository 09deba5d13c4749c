#!/usr/bin/python3
"""Generate the APS host interface from its one description.

    gen_host_interface.py DESCRIPTION.json [--sv PKG.sv] [--cpp HEADER.hpp]
                          [--md TABLE.md] [--param NAME=VALUE ...]

Reads rtl/aps_host_interface.json (regions, CSRs and their fields, CSR
arrays, descriptor and table words, enums, sizes that depend on the build
parameters) and writes:

  --sv   the SystemVerilog package aps_host_if_pkg: addresses, offsets, word
         indices, packed structs of every multi-field word, write masks,
         enums, size functions of the parameters, the region decoder;
  --cpp  the C++ header (namespace aps::hw): the same facts, a struct with
         pack()/unpack() per multi-field word, the error messages, and the
         table of CSRs with their expected values in this build (for the
         read-back test);
  --md   the register tables of the docs.

--param overrides a parameter's default (the build's values: CMake passes
them). Standard library only. The description is checked first: names
unique, fields inside their word and not overlapping, CSRs and arrays
inside the CSR region and not overlapping, every field marked "holds": "steps"
(a step or slot index or count) wide enough for CSR_LOG_STEPS and all of
one width (the RTL's step_t), MAX_LAYERS from
2 to CSR_LOG_STEPS, every region's memory inside its address span at these
parameters.
"""

import argparse
import collections
import json
import re
import sys


def word_of(mask, c):
    """The 32 bits of a register-wide mask that fall in c's word (a 64-bit register's half)."""
    return mask >> (32 * c.get("half", 0)) & 0xFFFFFFFF

class DescriptionError(Exception):
    pass


# ---------------------------------------------------------------- expressions
# A size is an expression over parameters and constants: integers, names,
# + - * / (integer division), parentheses, max(a, b), pow2ceil(x).

TOKEN = re.compile(r"\s*(?:(0x[0-9a-fA-F]+|\d+)|([A-Za-z_][A-Za-z_0-9]*)|(.))")


def tokenize(text):
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise DescriptionError(f"cannot read expression '{text}'")
        number, name, op = m.groups()
        if number:
            tokens.append(("num", int(number, 0)))
        elif name:
            tokens.append(("name", name))
        elif op.strip():
            tokens.append(("op", op))
        pos = m.end()
    return tokens


def parse_expression(text):
    tokens = tokenize(str(text))
    pos = [0]

    def peek():
        return tokens[pos[0]] if pos[0] < len(tokens) else (None, None)

    def take(kind=None, value=None):
        tok = peek()
        if tok[0] is None or (kind and tok[0] != kind) or (value and tok[1] != value):
            raise DescriptionError(f"expression '{text}': unexpected {tok[1]!r}")
        pos[0] += 1
        return tok

    def primary():
        kind, value = peek()
        if kind == "num":
            take()
            return ("num", value)
        if kind == "name":
            take()
            if peek() == ("op", "("):
                take("op", "(")
                args = [additive()]
                while peek() == ("op", ","):
                    take("op", ",")
                    args.append(additive())
                take("op", ")")
                if value not in ("max", "pow2ceil") or len(args) != {"max": 2, "pow2ceil": 1}[value]:
                    raise DescriptionError(f"expression '{text}': unknown function {value}")
                return ("call", value, args)
            return ("name", value)
        if (kind, value) == ("op", "("):
            take()
            e = additive()
            take("op", ")")
            return e
        raise DescriptionError(f"expression '{text}': unexpected {value!r}")

    def multiplicative():
        e = primary()
        while peek() in (("op", "*"), ("op", "/")):
            op = take()[1]
            e = ("bin", op, e, primary())
        return e

    def additive():
        e = multiplicative()
        while peek() in (("op", "+"), ("op", "-")):
            op = take()[1]
            e = ("bin", op, e, multiplicative())
        return e

    tree = additive()
    if pos[0] != len(tokens):
        raise DescriptionError(f"expression '{text}': trailing {tokens[pos[0]][1]!r}")
    return tree


def evaluate(tree, env):
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "name":
        if tree[1] not in env:
            raise DescriptionError(f"unknown name '{tree[1]}'")
        return env[tree[1]]
    if kind == "call":
        args = [evaluate(a, env) for a in tree[2]]
        if tree[1] == "max":
            return max(args)
        v = 1
        while v < args[0]:
            v *= 2
        return v
    a, b = evaluate(tree[2], env), evaluate(tree[3], env)
    return {"+": a + b, "-": a - b, "*": a * b, "/": a // b if b else 0}[tree[1]]


def names_in(tree, found):
    if tree[0] == "name":
        found.add(tree[1])
    elif tree[0] == "call":
        for a in tree[2]:
            names_in(a, found)
    elif tree[0] == "bin":
        names_in(tree[2], found)
        names_in(tree[3], found)
    return found


def render(tree, name_of, call_of):
    kind = tree[0]
    if kind == "num":
        return str(tree[1])
    if kind == "name":
        return name_of(tree[1])
    if kind == "call":
        return call_of(tree[1], [render(a, name_of, call_of) for a in tree[2]])
    return f"({render(tree[2], name_of, call_of)} {tree[1]} {render(tree[3], name_of, call_of)})"


# -------------------------------------------------------------------- naming

def camel(name):
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def sv_const(name):
    """CSR_LOG_STEPS -> CsrLogSteps"""
    return camel(name.lower())


# ------------------------------------------------------------------- fields

def parse_bits(spec, where):
    parts = str(spec).split(":")
    try:
        msb = int(parts[0])
        lsb = int(parts[-1])
    except ValueError:
        raise DescriptionError(f"{where}: bits '{spec}' is not MSB:LSB or a bit number")
    if not (0 <= lsb <= msb < 32):
        raise DescriptionError(f"{where}: bits '{spec}' are outside 31:0")
    return msb, lsb


class Field:
    def __init__(self, raw, word_access, where, enums):
        self.name = raw["name"]
        self.msb, self.lsb = parse_bits(raw["bits"], f"{where}.{self.name}")
        self.width = self.msb - self.lsb + 1
        self.access = raw.get("access", word_access)
        self.signed = bool(raw.get("signed", False))
        self.enum = raw.get("enum")
        if self.enum and self.enum not in enums:
            raise DescriptionError(f"{where}.{self.name}: unknown enum '{self.enum}'")
        if self.enum and enums[self.enum]["width"] > self.width:
            raise DescriptionError(f"{where}.{self.name}: enum '{self.enum}' is wider than the field")
        self.value = raw.get("value")
        self.reset = raw.get("reset", 0)
        self.doc = raw.get("doc", "")
        self.where = f"{where}.{self.name}"
        # "steps": a step or slot index, a count of them, or a step + 1
        self.holds = raw.get("holds")
        if self.holds not in (None, "steps"):
            raise DescriptionError(f"{self.where}: unknown 'holds' '{self.holds}'")

    @property
    def mask(self):
        return ((1 << self.width) - 1) << self.lsb


def parse_fields(raw_fields, word_access, where, enums):
    fields = [Field(f, word_access, where, enums) for f in raw_fields]
    seen = set()
    used = 0
    for f in fields:
        if f.name in seen:
            raise DescriptionError(f"{where}: field '{f.name}' twice")
        seen.add(f.name)
        if used & f.mask:
            raise DescriptionError(f"{where}: field '{f.name}' overlaps another")
        used |= f.mask
    return sorted(fields, key=lambda f: f.lsb)


# -------------------------------------------------------------- description

class Interface:
    def __init__(self, raw, overrides):
        self.raw = raw
        self.doc = raw.get("doc", "")
        self.parameters = raw["parameters"]
        self.defaults = {k: int(v["default"]) for k, v in self.parameters.items()}
        self.values = dict(self.defaults)
        for name, value in overrides.items():
            if name not in self.values:
                raise DescriptionError(f"--param {name}: not a parameter of the description")
            self.values[name] = value
        self.constants = {}
        for name, c in raw["constants"].items():
            self.constants[name] = evaluate(parse_expression(c["value"]), self.constants)
        self.sizes = {}
        for name, s in raw["sizes"].items():
            tree = parse_expression(s["value"])
            used = names_in(tree, set()) - set(self.constants)
            args = [p for p in self.parameters if p in used] + sorted(used - set(self.parameters))
            for a in args:
                if a not in self.parameters:
                    raise DescriptionError(f"size {name}: '{a}' is neither a parameter nor a constant")
            self.sizes[name] = {"tree": tree, "args": args, "doc": s.get("doc", "")}
        self.enums = raw["enums"]
        for name, e in self.enums.items():
            values = [v["value"] for v in e["values"]]
            if len(set(values)) != len(values) or max(values) >= (1 << e["width"]):
                raise DescriptionError(f"enum {name}: values repeat or do not fit {e['width']} bits")
        self.regions = raw["regions"]
        for r in self.regions:
            r["base_value"] = int(r["base"], 0)
            r["span_value"] = int(r["size"], 0)
            span = r["span_value"]
            if span & (span - 1) or r["base_value"] % span:
                raise DescriptionError(f"region {r['name']}: its span must be a power of two and its base aligned to it")
        ordered = sorted(self.regions, key=lambda r: r["base_value"])
        for a, b in zip(ordered, ordered[1:]):
            if a["base_value"] + a["span_value"] > b["base_value"]:
                raise DescriptionError(f"regions {a['name']} and {b['name']} overlap")
        self.layouts = {n: parse_fields(l["fields"], "ro", f"layout {n}", self.enums) for n, l in raw["layouts"].items()}
        self.csrs = []
        for c in raw["csrs"]:
            width = c.get("width", 32)
            fields = parse_fields(c.get("fields", []), c["access"], f"csr {c['name']}", self.enums)
            self.csrs.append({**c, "offset_value": int(c["offset"], 0), "width": width, "field_list": fields})
        self.arrays = []
        for a in raw["csr_arrays"]:
            count = evaluate(parse_expression(a["count"]), {**self.constants})
            fields = self.layouts[a["layout"]] if "layout" in a else parse_fields(a.get("fields", []), a["access"],
                                                                                  f"csr array {a['name']}", self.enums)
            self.arrays.append({**a, "offset_value": int(a["offset"], 0), "count_value": count,
                                "width": a.get("width", 32), "field_list": fields})
        self.tables = {}
        for name, t in raw["tables"].items():
            words = []
            for w in t["words"]:
                fields = parse_fields(w.get("fields", []), "rw", f"{name}.{w['name']}", self.enums)
                words.append({**w, "field_list": fields})
            self.tables[name] = {**t, "word_list": words}
        self.check()

    def size(self, name, env=None):
        return evaluate(self.sizes[name]["tree"], {**self.constants, **(env or self.values)})

    def expr(self, text, env=None):
        return evaluate(parse_expression(text), {**self.constants, **{k: self.size(k, env) for k in self.sizes},
                                                 **(env or self.values)})

    def check(self):
        names = set()
        for item in [c["name"] for c in self.csrs] + [a["name"] for a in self.arrays]:
            if item in names:
                raise DescriptionError(f"CSR name '{item}' twice")
            names.add(item)
        self.csr_region = next(r for r in self.regions if r["name"] == "csr")
        self.csr_offset_bits = self.csr_region["span_value"].bit_length() - 1
        self.csr_offset_digits = (self.csr_offset_bits + 3) // 4
        spans = []
        for c in self.csrs:
            spans.append((c["offset_value"], c["offset_value"] + c["width"] // 8, c["name"]))
        for a in self.arrays:
            spans.append((a["offset_value"], a["offset_value"] + a["count_value"] * a["stride"], a["name"]))
            if a["stride"] < a["width"] // 8:
                raise DescriptionError(f"csr array {a['name']}: stride {a['stride']} is smaller than its width")
        spans.sort()
        for (s0, e0, n0), (s1, _, n1) in zip(spans, spans[1:]):
            if e0 > s1:
                raise DescriptionError(f"CSRs {n0} and {n1} overlap")
        for s, e, n in spans:
            if s % 4 or e > self.csr_region["span_value"]:
                raise DescriptionError(f"CSR {n} is unaligned or outside the CSR region")
        for name, t in self.tables.items():
            # A table lives in a host region, or (no region) in the external memory.
            if "region" in t:
                region = next(r for r in self.regions if r["name"] == t["region"])
                entry_bytes = region["entry_bytes"]
            else:
                entry_bytes = t["entry_bytes"]
            indices = [w["index"] for w in t["word_list"]]
            words = self.expr(entry_bytes) // 4
            if max(indices) >= words:
                raise DescriptionError(f"table {name}: word {max(indices)} is outside its {words}-word entry")
        steps = self.constants["CSR_LOG_STEPS"]
        step_fields = [f for f in self.all_fields() if f.holds == "steps"]
        for f in step_fields:
            if (1 << f.width) - 1 < steps:
                raise DescriptionError(f"{f.where}: {f.width} bits cannot hold CSR_LOG_STEPS {steps}")
        # The RTL carries every step and slot index in one type (step_t), so
        # the fields it is read from and written to share its width: the one
        # most of them have, naming a field that differs.
        if not step_fields:
            raise DescriptionError("no field is marked \"holds\": \"steps\" (the RTL's step_t takes their width)")
        common = collections.Counter(f.width for f in step_fields).most_common(2)
        if len(common) > 1 and common[0][1] == common[1][1]:
            raise DescriptionError("the fields holding steps have widths " +
                                   ", ".join(f"{f.where} {f.width}" for f in step_fields) +
                                   "; every field holding steps has one width")
        self.step_bits = common[0][0]
        for f in step_fields:
            if f.width != self.step_bits:
                raise DescriptionError(f"{f.where}: {f.width} bits, but the other fields holding steps have "
                                       f"{self.step_bits}; every field holding steps has one width")
        self.check_fit(self.values, "at these parameters")

    def all_fields(self):
        for fields in self.layouts.values():
            yield from fields
        for c in self.csrs + self.arrays:
            if "layout" not in c:
                yield from c["field_list"]
        for t in self.tables.values():
            for w in t["word_list"]:
                yield from w["field_list"]

    def check_fit(self, env, when):
        if env["MAX_LAYERS"] < 2:
            # the RTL indexes steps with $clog2(MAX_LAYERS) bits
            raise DescriptionError(f"MAX_LAYERS {env['MAX_LAYERS']} is below 2 {when}")
        if env["MAX_LAYERS"] > self.constants["CSR_LOG_STEPS"]:
            raise DescriptionError(f"MAX_LAYERS {env['MAX_LAYERS']} exceeds CSR_LOG_STEPS {when}")
        for r in self.regions:
            if "entries" in r:
                need = self.expr(r["entries"], env) * self.expr(r["entry_bytes"], env)
                if need > r["span_value"]:
                    raise DescriptionError(f"region {r['name']} needs {need} bytes {when}, its span is {r['span_value']}")

    # The value a CSR reads right after reset, in this build.
    def reset_value(self, c, half=0):
        if "value" in c:
            return self.expr(c["value"]) >> (32 * half) & 0xFFFFFFFF
        value = 0
        for f in c["field_list"]:
            v = self.expr(str(f.value)) if f.value is not None else f.reset
            if f.access in ("wo",):
                v = 0
            value |= (v & ((1 << f.width) - 1)) << f.lsb
        return value

    def write_mask(self, c):
        """Bits a write sets, of the 32-bit word c is (a 64-bit register's half)."""
        if c["access"] != "rw":
            return 0
        if not c["field_list"]:
            return 0xFFFFFFFF
        mask = 0
        for f in c["field_list"]:
            if f.access == "rw":
                mask |= f.mask
        return word_of(mask, c)

    def action_mask(self, c):
        """Bits whose write acts rather than stores (write-only, write-1-to-clear), of c's word."""
        return word_of(sum(f.mask for f in c["field_list"] if f.access in ("wo", "w1c")), c)

    def scalar_csrs(self):
        """Each 32-bit word of the CSR map: 64-bit registers give _lo and _hi."""
        out = []
        for c in self.csrs:
            if c["width"] == 64:
                for half, suffix in ((0, "lo"), (1, "hi")):
                    out.append({**c, "name": f"{c['name']}_{suffix}", "offset_value": c["offset_value"] + 4 * half,
                                "half": half, "parent": c["name"]})
            else:
                out.append({**c, "half": 0, "parent": c["name"]})
        return out


# ------------------------------------------------------------ SystemVerilog

def sv_struct(name, fields, doc):
    lines = [f"  // {doc}" if doc else "", f"  typedef struct packed {{"]
    pos = 31
    reserved = 0
    for f in sorted(fields, key=lambda f: -f.msb):
        if f.msb < pos:
            lines.append(f"    logic [{pos - f.msb - 1}:0] reserved{reserved};" if pos - f.msb > 1
                         else f"    logic reserved{reserved};")
            reserved += 1
        signed = " signed" if f.signed else ""
        kind = f"logic{signed} [{f.width - 1}:0]" if f.width > 1 else "logic"
        note = f"  // {f.enum}_e" if f.enum else ""
        lines.append(f"    {kind} {f.name};{note}")
        pos = f.lsb - 1
    if pos >= 0:
        lines.append(f"    logic [{pos}:0] reserved{reserved};" if pos > 0 else f"    logic reserved{reserved};")
    lines.append(f"  }} {name}_t;")
    # The widths, for ports and arithmetic that carry a field outside its struct.
    for f in fields:
        if f.width > 1:
            lines.append(f"  localparam int {camel(name)}{camel(f.name)}Width = {f.width};")
    return [l for l in lines if l != ""]


def sv_function_of(spec_name, spec, iface):
    args = spec["args"]
    body = render(spec["tree"], lambda n: n if n in iface.parameters else sv_const(n),
                  lambda f, a: f"{'aps_' if f == 'pow2ceil' else ''}{'aps_max' if f == 'max' else f}({', '.join(a)})")
    body = body.replace("aps_aps_max", "aps_max")
    params = ", ".join(f"input int {a}" for a in args)
    return [f"  // {spec['doc']}", f"  function automatic int {spec_name}({params});", f"    return {body};",
            "  endfunction"]


def generate_sv(iface):
    out = ["// Generated by tools/gen_host_interface.py from rtl/aps_host_interface.json. Do not edit.",
           "//", "// The accelerator's host interface: addresses, registers and their fields,",
           "// descriptor and table words, error codes, and the sizes that depend on the",
           "// build parameters.", "package aps_host_if_pkg;",
           "  /* verilator lint_off UNUSEDPARAM */", ""]
    out.append("  // ---- constants ----")
    for name, c in iface.raw["constants"].items():
        out.append(f"  localparam int unsigned {sv_const(name)} = 32'h{iface.constants[name]:X};  // {c['doc']}")
    out += [f"  localparam int StepBits = {iface.step_bits};  // every step and slot index and count (the fields holding steps)",
            "  typedef logic [StepBits-1:0] step_t;"]
    out += ["", "  // ---- the build parameters' defaults (the build passes its own) ----"]
    for name, prm in iface.parameters.items():
        out.append(f"  localparam int Default{sv_const(name)} = {iface.defaults[name]};  // {prm['doc']}")
    out += ["", "  // ---- sizes that depend on the build parameters ----",
            "  function automatic int aps_max(input int a, input int b);", "    return a > b ? a : b;", "  endfunction",
            "  function automatic int aps_pow2ceil(input int x);", "    int v;", "    v = 1;",
            "    while (v < x) v = v * 2;", "    return v;", "  endfunction"]
    for name, spec in iface.sizes.items():
        out += sv_function_of(name, spec, iface)
    out += ["", "  // ---- regions (byte addresses; the port moves 32-bit words) ----"]
    for r in iface.regions:
        n = camel(r["name"])
        out.append(f"  localparam logic [31:0] {n}Base = 32'h{r['base_value']:08X};  // {r['doc']}")
        out.append(f"  localparam logic [31:0] {n}Span = 32'h{r['span_value']:08X};")
    names = ", ".join(f"Region{camel(r['name'])}" for r in iface.regions)
    out += [f"  typedef enum logic [3:0] {{{names}, RegionNone}} region_e;",
            "  function automatic region_e decode_region(input logic [31:0] addr);"]
    for r in iface.regions:
        n = camel(r["name"])
        out.append(f"    if ((addr & ~({n}Span - 32'd1)) == {n}Base) return Region{n};")
    out += ["    return RegionNone;", "  endfunction", "  function automatic logic [31:0] region_base(input region_e r);",
            "    unique case (r)"]
    for r in iface.regions:
        n = camel(r["name"])
        out.append(f"      Region{n}: return {n}Base;")
    out += ["      default: return 32'd0;", "    endcase", "  endfunction"]
    # the build fits the map
    pnames = list(iface.parameters)
    checks = []
    for r in iface.regions:
        if "entries" in r:
            def sv_expr(text):
                tree = parse_expression(text)
                return render(tree, lambda n: n if n in iface.parameters else sv_const(n),
                              lambda f, a: f"{f}({', '.join(x for x in a)})" if f in iface.sizes else f"{f}({', '.join(a)})")
            entry = r["entry_bytes"]
            entry_sv = f"{entry}({', '.join(iface.sizes[entry]['args'])})" if entry in iface.sizes else sv_expr(entry)
            checks.append(f"longint'({sv_expr(r['entries'])}) * longint'({entry_sv}) <= longint'({camel(r['name'])}Span)")
    checks.append("MAX_LAYERS >= 2 && MAX_LAYERS <= CsrLogSteps")
    out += ["  // 1 if memories of these sizes fit their address spans and the CSR logs",
            "  // (it takes every parameter; the memories outside the map ignore theirs).",
            "  /* verilator lint_off UNUSEDSIGNAL */",
            f"  function automatic bit host_if_fits({', '.join('input int ' + p for p in pnames)});",
            "    return " + "\n        && ".join(checks) + ";", "  endfunction",
            "  /* verilator lint_on UNUSEDSIGNAL */"]
    csr_bits, digits = iface.csr_offset_bits, iface.csr_offset_digits
    out += ["", "  // ---- control and status registers (offsets in the CSR region) ----",
            f"  localparam int CsrOffsetBits = {csr_bits};  // the CSR region's span is 2**CsrOffsetBits bytes",
            "  typedef logic [CsrOffsetBits-1:0] csr_offset_t;"]
    for c in iface.scalar_csrs():
        out.append(f"  localparam csr_offset_t Csr{camel(c['name'])} = {csr_bits}'h{c['offset_value']:0{digits}X};"
                   f"  // {c.get('doc', '')}")
        mask = iface.write_mask(c)
        if mask:
            out.append(f"  localparam logic [31:0] Csr{camel(c['name'])}WriteMask = 32'h{mask:08X};")
    out += ["  // 1 if `off` lies in the CSR array at `base` of `count` entries `stride` bytes apart.",
            "  function automatic bit in_array(input csr_offset_t off, input csr_offset_t base, input int count,",
            "                                  input int stride);",
            "    return 32'(off) >= 32'(base) && 32'(off) < 32'(base) + 32'(count * stride);", "  endfunction",
            "  // The entry of that array `off` lies in.",
            "  function automatic logic [31:0] array_entry(input csr_offset_t off, input csr_offset_t base, input int stride);",
            "    return (32'(off) - 32'(base)) / 32'(stride);", "  endfunction"]
    for a in iface.arrays:
        n = camel(a["name"])
        out.append(f"  localparam csr_offset_t Csr{n} = {csr_bits}'h{a['offset_value']:0{digits}X};  // {a['doc']}")
        out.append(f"  localparam int Csr{n}Count = {a['count_value']};")
        out.append(f"  localparam int Csr{n}Stride = {a['stride']};")
    for c in iface.csrs:
        if c["field_list"]:
            out += sv_struct(f"csr_{c['name']}", c["field_list"], c.get("doc", ""))
    for a in iface.arrays:
        if a["field_list"] and "layout" not in a:
            out += sv_struct(f"csr_{a['name']}", a["field_list"], a["doc"])
    for name, fields in iface.layouts.items():
        out += sv_struct(name, fields, iface.raw["layouts"][name]["doc"])
    out += ["", "  // ---- enums ----"]
    for name, e in iface.enums.items():
        prefix = camel(e.get("prefix", name))
        items = ", ".join(f"{prefix}{camel(v['name'])} = {e['width']}'d{v['value']}" for v in e["values"])
        out.append(f"  // {e['doc']}")
        out.append(f"  typedef enum logic [{e['width'] - 1}:0] {{{items}}} {name}_e;")
    for tname, t in iface.tables.items():
        out += ["", f"  // ---- {t['doc']} ----"]
        prefix = camel(tname)
        for w in t["word_list"]:
            view = f" ({w['view']})" if "view" in w else ""
            out.append(f"  localparam int {prefix}{camel(w['name'])} = {w['index']};  // {w.get('doc', '')}{view}")
        for w in t["word_list"]:
            if w["field_list"]:
                out += sv_struct(f"{tname}_{w['name']}", w["field_list"], w.get("doc", ""))
    out += ["", "  /* verilator lint_on UNUSEDPARAM */", "endpackage", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------- C++

def cpp_field_type(f, iface):
    if f.enum:
        return camel(f.enum)
    return "int32_t" if f.signed else "uint32_t"


def cpp_struct(name, fields, doc, iface, word_index=None):
    lines = [f"// {doc}" if doc else "", f"struct {name} {{"]
    if word_index is not None:
        lines.append(f"  static constexpr int kWord = {word_index};")
    for f in fields:
        default = f"{camel(f.enum)}{{}}" if f.enum else "0"
        lines.append(f"  {cpp_field_type(f, iface)} {f.name} = {default};" + (f"  // {f.doc}" if f.doc else ""))
    for f in fields:
        lines.append(f"  static constexpr unsigned k{camel(f.name)}Lsb = {f.lsb}, k{camel(f.name)}Width = {f.width};")
    lines.append(f"  static constexpr std::array<Field, {len(fields)}> kFields{{{{")
    for f in fields:
        lines.append(f'      {{"{f.name}", {f.lsb}, {f.width}, {"true" if f.signed else "false"}}},')
    lines.append("  }};")
    # pack
    parts = []
    for f in fields:
        mask = (1 << f.width) - 1
        parts.append(f"(static_cast<uint32_t>({f.name}) & 0x{mask:X}u) << {f.lsb}")
    lines.append("  constexpr uint32_t pack() const {")
    lines.append("    return " + "\n         | ".join(parts) + ";")
    lines.append("  }")
    lines.append(f"  static constexpr {name} unpack(uint32_t word) {{")
    lines.append(f"    {name} v;")
    for f in fields:
        mask = (1 << f.width) - 1
        raw = f"(word >> {f.lsb}) & 0x{mask:X}u"
        if f.enum:
            lines.append(f"    v.{f.name} = static_cast<{camel(f.enum)}>({raw});")
        elif f.signed:
            lines.append(f"    v.{f.name} = sign_extend({raw}, {f.width});")
        else:
            lines.append(f"    v.{f.name} = {raw};")
    lines.append("    return v;")
    lines.append("  }")
    lines.append("  // Every field's value fits its bits.")
    lines.append("  constexpr bool fits() const {")
    checks = []
    for f in fields:
        if f.signed:
            checks.append(f"fits_signed({f.name}, {f.width})")
        else:
            checks.append(f"fits_unsigned(static_cast<uint32_t>({f.name}), {f.width})")
    lines.append("    return " + "\n        && ".join(checks) + ";")
    lines.append("  }")
    lines.append(f"  bool operator==(const {name}&) const = default;")
    lines.append("};")
    return [l for l in lines if l != ""]


def csr_hex(iface, offset):
    """A CSR offset with as many hex digits as the CSR region's span needs."""
    return f"0x{offset:0{iface.csr_offset_digits}X}"


def generate_cpp(iface):
    p = iface.values
    out = ["#pragma once", "// Generated by tools/gen_host_interface.py from rtl/aps_host_interface.json. Do not edit.",
           "//", "// The accelerator's host interface, as the host side sees it: addresses,",
           "// registers and their fields (pack/unpack), descriptor and table words, error",
           "// codes, the sizes that depend on the build parameters, and the CSR table",
           "// with the values this build reads after reset.", "",
           "#include <array>", "#include <cstdint>", "#include <string_view>", "", "namespace aps::hw {", ""]
    out += ["// One field of a register or table word.",
            "struct Field {", "  std::string_view name;", "  unsigned lsb = 0, width = 0;", "  bool is_signed = false;", "};",
            "",
            "constexpr int32_t sign_extend(uint32_t value, unsigned width) {",
            "  const uint32_t sign = 1u << (width - 1);",
            "  return static_cast<int32_t>((value ^ sign) - sign);", "}",
            "constexpr bool fits_unsigned(uint32_t value, unsigned width) { return width >= 32 || value >> width == 0; }",
            "constexpr bool fits_signed(int32_t value, unsigned width) {",
            "  return width >= 32 || (value >= -(int64_t{1} << (width - 1)) && value < (int64_t{1} << (width - 1)));", "}",
            ""]
    out.append("// The build parameters.")
    out.append("struct BuildParameters {")
    for name, prm in iface.parameters.items():
        out.append(f"  int64_t {name.lower()} = 0;  // {prm['doc']}")
    out.append("};")
    dflt = ", ".join(str(iface.defaults[n]) for n in iface.parameters)
    this = ", ".join(str(p[n]) for n in iface.parameters)
    out.append(f"inline constexpr BuildParameters kDefaultBuild{{{dflt}}};")
    out.append(f"inline constexpr BuildParameters kThisBuild{{{this}}};  // the parameters of the RTL in this build tree")
    out += ["", "// ---- constants ----"]
    for name, c in iface.raw["constants"].items():
        out.append(f"inline constexpr uint32_t k{sv_const(name)} = 0x{iface.constants[name]:X};  // {c['doc']}")
    out.append(f"inline constexpr unsigned kStepBits = {iface.step_bits};  // every step and slot index and count")
    out += ["", "// ---- sizes that depend on the build parameters ----",
            "constexpr int64_t pow2ceil(int64_t x) {", "  int64_t v = 1;", "  while (v < x) v *= 2;", "  return v;", "}",
            "constexpr int64_t max_of(int64_t a, int64_t b) { return a > b ? a : b; }"]
    for name, spec in iface.sizes.items():
        body = render(spec["tree"], lambda n: n.lower() if n in iface.parameters else f"int64_t{{k{sv_const(n)}}}",
                      lambda f, a: f"{'max_of' if f == 'max' else f}({', '.join(a)})")
        args = ", ".join(f"int64_t {a.lower()}" for a in spec["args"])
        out.append(f"// {spec['doc']}")
        out.append(f"constexpr int64_t {name}({args}) {{ return {body}; }}")
    out += ["", "// ---- regions (byte addresses; the port moves 32-bit words) ----"]
    for r in iface.regions:
        n = camel(r["name"])
        out.append(f"inline constexpr uint32_t k{n}Base = 0x{r['base_value']:08X};  // {r['doc']}")
        out.append(f"inline constexpr uint32_t k{n}Span = 0x{r['span_value']:08X};")
    out += ["", "// ---- enums ----"]
    for name, e in iface.enums.items():
        items = ", ".join(f"k{camel(v['name'])} = {v['value']}" for v in e["values"])
        out.append(f"// {e['doc']}")
        out.append(f"enum class {camel(name)} : uint32_t {{ {items} }};")
    out.append("// The message of an error code (STATUS.error_code).")
    out.append("constexpr std::string_view error_message(uint32_t code) {")
    out.append("  switch (code) {")
    for v in iface.enums["error"]["values"]:
        out.append(f'    case {v["value"]}: return "{v["doc"]}";')
    out += ['    default: return "unknown error";', "  }", "}",
            "constexpr std::string_view error_message(Error code) { return error_message(static_cast<uint32_t>(code)); }"]
    out += ["", "// ---- control and status registers (offsets in the CSR region) ----"]
    for c in iface.scalar_csrs():
        out.append(f"inline constexpr uint32_t kCsr{camel(c['name'])} = {csr_hex(iface, c['offset_value'])};  // {c.get('doc', '')}")
    for a in iface.arrays:
        n = camel(a["name"])
        out.append(f"inline constexpr uint32_t kCsr{n} = {csr_hex(iface, a['offset_value'])};  // {a['doc']}")
        out.append(f"inline constexpr uint32_t kCsr{n}Count = {a['count_value']}, kCsr{n}Stride = {a['stride']};")
    for c in iface.csrs:
        if c["field_list"]:
            out += cpp_struct(f"Csr{camel(c['name'])}", c["field_list"], c.get("doc", ""), iface)
    for a in iface.arrays:
        if a["field_list"] and "layout" not in a:
            out += cpp_struct(f"Csr{camel(a['name'])}", a["field_list"], a["doc"], iface)
    for name, fields in iface.layouts.items():
        out += cpp_struct(camel(name), fields, iface.raw["layouts"][name]["doc"], iface)
    for tname, t in iface.tables.items():
        prefix = camel(tname)
        out += ["", f"// ---- {t['doc']} ----"]
        out.append(f"enum {prefix}Word : int {{")
        for w in t["word_list"]:
            view = f" ({w['view']})" if "view" in w else ""
            out.append(f"  k{prefix}{camel(w['name'])} = {w['index']},  // {w.get('doc', '')}{view}")
        out.append("};")
        for w in t["word_list"]:
            if w["field_list"]:
                out += cpp_struct(f"{prefix}{camel(w['name'])}", w["field_list"], w.get("doc", ""), iface, w["index"])
    # The CSR table.
    out += ["", "// ---- every CSR word, with what this build reads after reset ----",
            "struct CsrInfo {", "  std::string_view name;", "  uint32_t offset = 0;",
            "  bool readable = true;", "  uint32_t write_mask = 0;  // bits a write sets (rw fields)",
            "  uint32_t reset = 0;       // the value read after reset",
            "  uint32_t action_mask = 0; // bits whose write acts (wo: start a run; w1c: clear)", "};"]
    rows = iface.scalar_csrs()
    out.append(f"inline constexpr std::array<CsrInfo, {len(rows)}> kCsrTable{{{{")
    for c in rows:
        readable = "false" if c["access"] == "wo" else "true"
        reset = iface.reset_value(c, c["half"]) if "value" in c or c["width"] == 32 else 0
        out.append(f'    {{"{c["name"]}", {csr_hex(iface, c["offset_value"])}, {readable}, 0x{iface.write_mask(c):08X}, '
                   f'0x{reset:08X}, 0x{iface.action_mask(c):08X}}},')
    out.append("}};")
    out += ["struct CsrArrayInfo {", "  std::string_view name;", "  uint32_t offset = 0, count = 0, stride = 0, width = 32;",
            "};", f"inline constexpr std::array<CsrArrayInfo, {len(iface.arrays)}> kCsrArrayTable{{{{"]
    for a in iface.arrays:
        out.append(f'    {{"{a["name"]}", {csr_hex(iface, a["offset_value"])}, {a["count_value"]}, {a["stride"]}, {a["width"]}}},')
    out += ["}};", "", "}  // namespace aps::hw", ""]
    return "\n".join(out)


# ---------------------------------------------------------------- Markdown

def md_fields(fields, enums):
    rows = []
    for f in sorted(fields, key=lambda f: -f.msb):
        bits = f"{f.msb}:{f.lsb}" if f.width > 1 else f"{f.lsb}"
        extra = f" ({f.enum})" if f.enum else ""
        sign = " signed" if f.signed else ""
        rows.append(f"`{f.name}` [{bits}]{sign}{extra}")
    return ", ".join(rows)


def generate_md(iface):
    p = iface.values
    out = ["<!-- Generated by tools/gen_host_interface.py from rtl/aps_host_interface.json. Do not edit. -->",
           "# APS host interface", "", iface.doc, "",
           "Parameters of this table: " + ", ".join(f"{k} = {v}" for k, v in p.items()) + ".", "",
           "## Regions", "", "| region | base | span | entry | entries | access | what |", "|---|---|---|---|---|---|---|"]
    for r in iface.regions:
        entry = f"{iface.expr(r['entry_bytes'])} B (`{r['entry_bytes']}`)" if "entry_bytes" in r else "4 B"
        entries = f"{iface.expr(r['entries'])} (`{r['entries']}`)" if "entries" in r else ""
        out.append(f"| {r['name']} | `0x{r['base_value']:08X}` | `0x{r['span_value']:X}` | {entry} | {entries} | "
                   f"{r.get('access', 'rw')} | {r['doc']} |")
    out += ["", "## Control and status registers", "", "| offset | name | access | after reset | fields | what |",
            "|---|---|---|---|---|---|"]
    for c in iface.scalar_csrs():
        reset = f"`0x{iface.reset_value(c, c['half']):08X}`" if c["access"] != "wo" else ""
        out.append(f"| `{csr_hex(iface, c['offset_value'])}` | {c['name']} | {c['access']} | {reset} | "
                   f"{md_fields(c['field_list'], iface.enums)} | {c.get('doc', '')} |")
    out += ["", "### Logs", "", "| offset | name | entries | stride | width | fields | what |", "|---|---|---|---|---|---|---|"]
    for a in iface.arrays:
        out.append(f"| `{csr_hex(iface, a['offset_value'])}` | {a['name']} | {a['count_value']} | {a['stride']} | {a['width']} | "
                   f"{md_fields(a['field_list'], iface.enums)} | {a['doc']} |")
    for tname, t in iface.tables.items():
        where = f"region {t['region']}" if "region" in t else "external memory"
        out += ["", f"## {t['doc'][0].upper()}{t['doc'][1:]} ({where})", "", "| word | name | fields | what |",
                "|---|---|---|---|"]
        for w in t["word_list"]:
            view = f" ({w['view']} steps)" if "view" in w else ""
            sign = " (signed)" if w.get("signed") else ""
            out.append(f"| {w['index']} | {w['name']}{view} | {md_fields(w['field_list'], iface.enums)} | "
                       f"{w.get('doc', '')}{sign} |")
        if "tail" in t:
            out += ["", t["tail"][0].upper() + t["tail"][1:] + "."]
    out += ["", "## Enums"]
    for name, e in iface.enums.items():
        out += ["", f"**{name}** ({e['width']} bits): {e['doc']}.", "", "| value | name | meaning |", "|---|---|---|"]
        for v in e["values"]:
            out.append(f"| {v['value']} | {v['name']} | {v['doc']} |")
    out += ["", "## Sizes", "", "| size | formula | here | what |", "|---|---|---|---|"]
    for name, s in iface.raw["sizes"].items():
        out.append(f"| {name} | `{s['value']}` | {iface.size(name)} | {s.get('doc', '')} |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("description")
    ap.add_argument("--sv")
    ap.add_argument("--cpp")
    ap.add_argument("--md")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args()
    try:
        overrides = {}
        for item in args.param:
            name, _, value = item.partition("=")
            try:
                overrides[name] = int(value, 0)
            except ValueError:
                raise DescriptionError(f"--param {item}: not NAME=INTEGER")
        with open(args.description) as f:
            raw = json.load(f)
        iface = Interface(raw, overrides)
        for path, text in ((args.sv, generate_sv), (args.cpp, generate_cpp), (args.md, generate_md)):
            if path:
                content = text(iface)
                try:
                    with open(path) as f:
                        if f.read() == content:
                            continue  # unchanged: keep the timestamp, so nothing rebuilds
                except FileNotFoundError:
                    pass
                with open(path, "w") as f:
                    f.write(content)
    except (DescriptionError, KeyError, json.JSONDecodeError) as e:
        print(f"gen_host_interface.py: {args.description}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
