// SPDX-License-Identifier: Apache-2.0
// STM32F746G-DISCO serial port for the inference protocol: USART1, the
// ST-LINK virtual COM port, shared with the result lines (serial.cpp). The
// host skips text between frames. Polled registers: no interrupts, no DMA.
#include "tinyml/serial_port.h"
#include "board.h"
#include "stm32f7xx_hal.h"
#include "tinyml/timing.h"

namespace tinyml {
namespace {

size_t UsartRead(uint8_t* buffer, size_t capacity, void*) {
  size_t n = 0;
  // An overrun stops reception until cleared; the lost bytes make the frame
  // fail its CRC or time out, and the host retries.
  if (USART1->ISR & USART_ISR_ORE) USART1->ICR = USART_ICR_ORECF;
  while (n < capacity && (USART1->ISR & USART_ISR_RXNE)) {
    buffer[n++] = static_cast<uint8_t>(USART1->RDR);
  }
  return n;
}

void UsartWrite(const uint8_t* data, size_t size, void*) {
  for (size_t i = 0; i < size; ++i) {
    while ((USART1->ISR & USART_ISR_TXE) == 0) {
    }
    USART1->TDR = data[i];
  }
  while ((USART1->ISR & USART_ISR_TC) == 0) {
  }
}

uint32_t UsartMicros(void*) { return Micros(); }

}  // namespace

SerialTransport SerialPortBegin(uint32_t baud) {
  (void)baud;  // USART1 runs at 115200 8N1 (board::SerialBegin)
  board::BoardBegin();
  board::SerialBegin();
  return SerialTransport{&UsartRead, &UsartWrite, &UsartMicros, nullptr};
}

}  // namespace tinyml
