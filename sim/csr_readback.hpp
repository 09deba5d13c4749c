#pragma once
// The CSR read-back check: every CSR word the host interface description
// (rtl/aps_host_interface.json) marks readable is read right after reset and
// compared with the value the description gives it (constants such as the
// memory sizes: this build's); every log entry must read 0; every offset of
// the CSR region that no register occupies must read the unmapped marker, so
// a register the RTL forgot to decode cannot pass for a zero; every
// read-write register must hold exactly what is written to its writable
// bits; and a write must change no read-only bit or log entry. Registers are
// left at their reset values.

#include <string>
#include <vector>

#include "sim/host_driver.hpp"

namespace aps::sim {

// One line per disagreement, naming the register; empty when all agree.
std::vector<std::string> check_csr_readback(HostDriver& driver);

}  // namespace aps::sim
