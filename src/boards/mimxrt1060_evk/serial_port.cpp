// SPDX-License-Identifier: Apache-2.0
// i.MX RT1060-EVK serial port for the inference protocol: the console UART
// (LPUART1, the DAPLink virtual COM port) through Zephyr's polled UART API,
// shared with the result lines. Written against the documented
// <zephyr/drivers/uart.h> API; it has not been compiled against a Zephyr
// tree here (see the example's README).
#include <zephyr/device.h>
#include <zephyr/drivers/uart.h>

#include "tinyml/serial_port.h"
#include "tinyml/timing.h"

namespace tinyml {
namespace {

const struct device* g_uart = nullptr;

size_t UartRead(uint8_t* buffer, size_t capacity, void*) {
  size_t n = 0;
  unsigned char byte = 0;
  while (n < capacity && uart_poll_in(g_uart, &byte) == 0) buffer[n++] = byte;
  return n;
}

void UartWrite(const uint8_t* data, size_t size, void*) {
  for (size_t i = 0; i < size; ++i) uart_poll_out(g_uart, data[i]);
}

uint32_t UartMicros(void*) { return Micros(); }

}  // namespace

SerialTransport SerialPortBegin(uint32_t baud) {
  (void)baud;  // the console's baud rate comes from the devicetree (115200)
  g_uart = DEVICE_DT_GET(DT_CHOSEN(zephyr_console));
  return SerialTransport{&UartRead, &UartWrite, &UartMicros, nullptr};
}

}  // namespace tinyml
