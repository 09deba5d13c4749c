#pragma once
// Model-local functions (ModelProto.functions, IR >= 8): a node whose domain
// and op type name one of them is a call, and runs the function's body.
// torch.onnx.dynamo_export (PyTorch 2.1 to 2.5) wrote one function per module
// so. Every call is replaced by the body's nodes before the model is
// validated, so the interpreter, the importer and the model hash see one flat
// graph.
//
// A body's values get names of their own per call (prefixed with the call's
// node name and a count, clear of every name in the graph), its attribute
// references take the call's attributes, and calls inside bodies are inlined
// too.

#include <string>

#include <onnx/onnx_pb.h>

namespace aps {

// InputError naming `source` and the call when a call does not fit its
// function (more inputs or outputs than it declares), when functions call
// each other without end or inline to more than a model should hold, or
// when a function imports another version of the default opset than the
// model.
void inline_local_functions(onnx::ModelProto& model, const std::string& source);

}  // namespace aps
