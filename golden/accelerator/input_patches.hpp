#pragma once
// Patch packing of the network input for a first convolution over few
// channels (an image model's stem: 1 to 3 channels). In the accelerator's
// layout such an input fills 1 to 3 lanes of each word, so the array would
// idle most of its rows. Instead the host packs, for every output pixel,
// the window's taps of every channel (the input's zero point where the
// window hangs over the edge) as the channels of one pixel, and the layer
// becomes a 1x1 convolution over them: KH * KW * C lanes per pixel, packed.
//
// The arithmetic is unchanged: a padded tap held as the zero point adds
// (reduce(z) - reduce(z)) * w = 0, as a skipped one does, and the sum over
// taps is the same sum in another order.

#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps {

// Packs the program's input if its first layer is such a convolution, no
// other step reads the network input, and the packed step still fits this
// build's scratchpad where the plain one does; returns whether it did.
bool pack_input_patches(NetworkProgram& program);

// The program's input codes from the raw input's CHW codes (unchanged
// without patch packing).
Codes patch_input(const NetworkProgram& program, const Codes& raw);

}  // namespace aps
