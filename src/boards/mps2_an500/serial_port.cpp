// SPDX-License-Identifier: Apache-2.0
// Serial port of QEMU mps2-an500: the CMSDK APB UART0 at 0x40004000, which
// QEMU connects to its first -serial backend (a TCP socket for
// `tinyml classify --qemu`). Polled: no interrupts. The baud rate is not
// emulated; BAUDDIV only has to be valid (>= 16).
#include <cstdint>

#include "tinyml/serial_port.h"
#include "tinyml/timing.h"
#include "tinyml_qemu_clock.h"  // from the platform's startup files

namespace tinyml {
namespace {

struct CmsdkUart {
  volatile uint32_t data;       // 0x00 RX/TX byte
  volatile uint32_t state;      // 0x04 bit 0 TX full, bit 1 RX full
  volatile uint32_t ctrl;       // 0x08 bit 0 TX enable, bit 1 RX enable
  volatile uint32_t intstatus;  // 0x0C
  volatile uint32_t bauddiv;    // 0x10
};

CmsdkUart* const kUart0 = reinterpret_cast<CmsdkUart*>(0x40004000u);
constexpr uint32_t kTxFull = 1u << 0;
constexpr uint32_t kRxFull = 1u << 1;
constexpr uint32_t kTxEnable = 1u << 0;
constexpr uint32_t kRxEnable = 1u << 1;

// QEMU refills the one-byte receive buffer from its own thread: once a byte
// came, wait a little for the next one, so a frame arrives in few reads.
constexpr uint32_t kBurstTicks =
    TINYML_QEMU_TICKS_PER_SECOND / 10000u;  // 100us

size_t UartRead(uint8_t* buffer, size_t capacity, void*) {
  size_t n = 0;
  uint32_t last = 0;
  while (n < capacity) {
    if (kUart0->state & kRxFull) {
      buffer[n++] = static_cast<uint8_t>(kUart0->data);
      last = tinyml_qemu_ticks();
    } else if (n == 0 || tinyml_qemu_ticks() - last > kBurstTicks) {
      break;
    }
  }
  return n;
}

void UartWrite(const uint8_t* data, size_t size, void*) {
  for (size_t i = 0; i < size; ++i) {
    while (kUart0->state & kTxFull) {
    }
    kUart0->data = data[i];
  }
}

uint32_t UartMicros(void*) {
  return tinyml_qemu_ticks() / (TINYML_QEMU_TICKS_PER_SECOND / 1000000u);
}

}  // namespace

SerialTransport SerialPortBegin(uint32_t baud) {
  (void)baud;
  kUart0->bauddiv = 16;
  kUart0->ctrl = kTxEnable | kRxEnable;
  return SerialTransport{&UartRead, &UartWrite, &UartMicros, nullptr};
}

}  // namespace tinyml
