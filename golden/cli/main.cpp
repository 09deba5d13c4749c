// aps-golden: the golden model on its own: ONNX conformance runs, single
// inferences and accuracy on labelled data sets.

#include "golden/cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace aps::cli;
  return dispatch(argc, argv, "aps-golden", "The APS golden model: ONNX semantics and the accelerator's integer arithmetic.",
                  {
                      {"onnx-test", "run ONNX backend-test folders; integer outputs bit-exact, floats within tolerance",
                       onnx_test_command},
                      {"run", "run a model on one input file and print or save its outputs", run_command},
                      {"eval", "accuracy of a model on a labelled data set", eval_command},
                  });
}
