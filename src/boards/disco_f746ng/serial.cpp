// SPDX-License-Identifier: Apache-2.0
// STM32F746G-DISCO result lines: stdout -> USART1, the ST-LINK virtual COM
// port.
#include <cstdint>

#include "board.h"
#include "stm32f7xx_hal.h"

namespace tinyml {
namespace board {
namespace {

UART_HandleTypeDef g_uart = {};
bool g_serial_ready = false;

}  // namespace

void SerialBegin() {
  if (g_serial_ready) return;
  g_serial_ready = true;

  // ST-LINK VCP: USART1 TX = PA9, RX = PB7, alternate function 7.
  __HAL_RCC_GPIOA_CLK_ENABLE();
  __HAL_RCC_GPIOB_CLK_ENABLE();
  __HAL_RCC_USART1_CLK_ENABLE();
  GPIO_InitTypeDef pin = {};
  pin.Mode = GPIO_MODE_AF_PP;
  pin.Pull = GPIO_PULLUP;
  pin.Speed = GPIO_SPEED_FREQ_HIGH;
  pin.Alternate = GPIO_AF7_USART1;
  pin.Pin = GPIO_PIN_9;
  HAL_GPIO_Init(GPIOA, &pin);
  pin.Pin = GPIO_PIN_7;
  HAL_GPIO_Init(GPIOB, &pin);

  g_uart.Instance = USART1;
  g_uart.Init.BaudRate = 115200;
  g_uart.Init.WordLength = UART_WORDLENGTH_8B;
  g_uart.Init.StopBits = UART_STOPBITS_1;
  g_uart.Init.Parity = UART_PARITY_NONE;
  g_uart.Init.Mode = UART_MODE_TX_RX;
  g_uart.Init.HwFlowCtl = UART_HWCONTROL_NONE;
  g_uart.Init.OverSampling = UART_OVERSAMPLING_16;
  g_uart.AdvancedInit.AdvFeatureInit = UART_ADVFEATURE_NO_INIT;
  HAL_UART_Init(&g_uart);
}

}  // namespace board
}  // namespace tinyml

// newlib's write hook: printf/fputs(stdout), and so tinyml::StdoutLineSink,
// end up here. '\n' is sent as "\r\n" for terminal programs.
extern "C" int _write(int fd, const char* data, int length) {
  (void)fd;
  tinyml::board::SerialBegin();
  static const uint8_t kCr = '\r';
  for (int i = 0; i < length; ++i) {
    if (data[i] == '\n')
      HAL_UART_Transmit(&tinyml::board::g_uart, &kCr, 1, 100);
    HAL_UART_Transmit(&tinyml::board::g_uart,
                      reinterpret_cast<const uint8_t*>(data + i), 1, 100);
  }
  return length;
}
