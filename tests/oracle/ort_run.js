// Runs one ONNX model in ONNX Runtime (onnxruntime-node) on one TensorProto
// input file and writes each output as a TensorProto file, so that
// `aps-golden onnx-test` can compare its own results with ONNX Runtime's.
//
//   node ort_run.js MODEL INPUT.pb OUT_DIR [disabled|all]
//   node ort_run.js --cases CASE_DIR...
//
// The second form runs backend-test folders in one process (CASE_DIR/model.onnx
// on CASE_DIR/test_data_set_0/input_0.pb, outputs written beside it, graph
// optimisations disabled); a folder ONNX Runtime refuses gets no outputs and
// a line on stderr, and the exit status is 2.
//
// Graph optimisations default to 'disabled': ONNX Runtime then executes each
// node with its ONNX semantics. With 'all' it fuses DQ -> op -> Q into its
// own integer kernels, whose float requantization differs at near-ties.
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

// --- a minimal TensorProto codec (fields: dims=1, data_type=2, name=8, raw_data=9)
const DATA_TYPES = {1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64'};
const ARRAYS = {float32: Float32Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array,
                int64: BigInt64Array, bool: Uint8Array, float64: Float64Array};

function readVarint(buf, pos) {
  let result = 0n, shift = 0n;
  for (;;) {
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [result, pos];
    shift += 7n;
  }
}

function decodeTensor(buf) {
  let pos = 0;
  const dims = [];
  let dataType = 0, name = '', raw = null;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Number(key >> 3n), wire = Number(key & 7n);
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (field === 1) dims.push(Number(v));
      else if (field === 2) dataType = Number(v);
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      const bytes = buf.subarray(pos, pos + Number(len));
      pos += Number(len);
      if (field === 1) {  // packed dims
        let p = 0;
        while (p < bytes.length) { let v; [v, p] = readVarint(bytes, p); dims.push(Number(v)); }
      } else if (field === 8) name = bytes.toString('utf8');
      else if (field === 9) raw = bytes;
    } else if (wire === 5) pos += 4;
    else if (wire === 1) pos += 8;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  const type = DATA_TYPES[dataType];
  if (!type || !raw) throw new Error(`tensor '${name}': need raw_data of a supported type (got type ${dataType})`);
  const copy = Buffer.from(raw);  // aligned copy
  const data = new ARRAYS[type](copy.buffer, copy.byteOffset, copy.length / ARRAYS[type].BYTES_PER_ELEMENT);
  return {name, type, dims, data};
}

function writeVarint(out, v) {
  v = BigInt(v);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
}

function encodeTensor(name, tensor) {
  const code = Number(Object.keys(DATA_TYPES).find((k) => DATA_TYPES[k] === tensor.type));
  const out = [];
  for (const d of tensor.dims) { writeVarint(out, (1 << 3) | 0); writeVarint(out, d); }
  writeVarint(out, (2 << 3) | 0); writeVarint(out, code);
  const nameBytes = Buffer.from(name, 'utf8');
  writeVarint(out, (8 << 3) | 2); writeVarint(out, nameBytes.length); out.push(...nameBytes);
  const raw = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  writeVarint(out, (9 << 3) | 2); writeVarint(out, raw.length);
  return Buffer.concat([Buffer.from(out), raw]);
}

async function runOne(model, inputFile, outDir, level) {
  const session = await ort.InferenceSession.create(model, {graphOptimizationLevel: level, intraOpNumThreads: 1});
  const input = decodeTensor(fs.readFileSync(inputFile));
  let results;
  try {
    results = await session.run({[session.inputNames[0]]: new ort.Tensor(input.type, input.data, input.dims)});
  } catch (e) {
    // A model with a fixed batch of 1 (as TensorFlow exporters write them)
    // runs a stack of samples one by one; the outputs are stacked back.
    if (input.dims.length < 2 || input.dims[0] < 2) throw e;
    const n = input.dims[0], per = input.data.length / n;
    const parts = {};
    for (let i = 0; i < n; ++i) {
      const one = input.data.subarray(i * per, (i + 1) * per);
      const r = await session.run({[session.inputNames[0]]: new ort.Tensor(input.type, one, [1, ...input.dims.slice(1)])});
      for (const name of session.outputNames) (parts[name] = parts[name] || []).push(r[name]);
    }
    results = {};
    for (const name of session.outputNames) {
      const first = parts[name][0];
      const data = new first.data.constructor(first.data.length * n);
      parts[name].forEach((t, i) => data.set(t.data, i * first.data.length));
      results[name] = {type: first.type, dims: [n, ...first.dims.slice(1)], data};
    }
  }
  fs.mkdirSync(outDir, {recursive: true});
  session.outputNames.forEach((name, i) => {
    fs.writeFileSync(path.join(outDir, `output_${i}.pb`), encodeTensor(name, results[name]));
  });
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--cases') {
    let failed = 0;
    for (const dir of args.slice(1)) {
      const data = path.join(dir, 'test_data_set_0');
      try {
        await runOne(path.join(dir, 'model.onnx'), path.join(data, 'input_0.pb'), data, 'disabled');
      } catch (e) {
        console.error(`ort_run: ${dir}: ${e.message}`);
        ++failed;
      }
    }
    if (failed) process.exit(2);
    return;
  }
  const [model, inputFile, outDir, level = 'disabled'] = args;
  if (!outDir) throw new Error('usage: node ort_run.js MODEL INPUT.pb OUT_DIR [disabled|all]');
  await runOne(model, inputFile, outDir, level);
}

main().catch((e) => { console.error(`ort_run: ${e.message}`); process.exit(2); });
