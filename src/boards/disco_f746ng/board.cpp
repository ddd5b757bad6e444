// SPDX-License-Identifier: Apache-2.0
// STM32F746G-DISCO: 216 MHz from the 25 MHz HSE, L1 caches, DWT microseconds.
#include "board.h"

#include <cstdint>

#include "stm32f7xx_hal.h"
#include "tinyml/timing.h"

namespace tinyml {
namespace board {
namespace {

bool g_board_ready = false;

// --- Clocks ---

// HSE 25 MHz / M 25 * N 432 / P 2 = 216 MHz (over-drive on, 7 wait states),
// the configuration of ST's own STM32F746G-DISCO examples.
bool ConfigureClocks() {
  __HAL_RCC_PWR_CLK_ENABLE();
  __HAL_PWR_VOLTAGESCALING_CONFIG(PWR_REGULATOR_VOLTAGE_SCALE1);

  RCC_OscInitTypeDef osc = {};
  osc.OscillatorType = RCC_OSCILLATORTYPE_HSE;
  osc.HSEState = RCC_HSE_ON;
  osc.PLL.PLLState = RCC_PLL_ON;
  osc.PLL.PLLSource = RCC_PLLSOURCE_HSE;
  osc.PLL.PLLM = 25;
  osc.PLL.PLLN = 432;
  osc.PLL.PLLP = RCC_PLLP_DIV2;
  osc.PLL.PLLQ = 9;
  if (HAL_RCC_OscConfig(&osc) != HAL_OK) return false;
  if (HAL_PWREx_EnableOverDrive() != HAL_OK) return false;

  RCC_ClkInitTypeDef clk = {};
  clk.ClockType = RCC_CLOCKTYPE_SYSCLK | RCC_CLOCKTYPE_HCLK |
                  RCC_CLOCKTYPE_PCLK1 | RCC_CLOCKTYPE_PCLK2;
  clk.SYSCLKSource = RCC_SYSCLKSOURCE_PLLCLK;
  clk.AHBCLKDivider = RCC_SYSCLK_DIV1;
  clk.APB1CLKDivider = RCC_HCLK_DIV4;
  clk.APB2CLKDivider = RCC_HCLK_DIV2;
  return HAL_RCC_ClockConfig(&clk, FLASH_LATENCY_7) == HAL_OK;
}

// --- Memory protection ---

// The default memory map makes 0xA0000000-0xDFFFFFFF Device memory, where
// unaligned accesses fault and nothing is cached. Declaring the 8 MB SDRAM
// (LCD framebuffer) as Normal write-through memory allows memcpy-style access
// and keeps LTDC's view coherent without cache maintenance.
void ConfigureMpu() {
  HAL_MPU_Disable();
  MPU_Region_InitTypeDef region = {};
  region.Enable = MPU_REGION_ENABLE;
  region.Number = MPU_REGION_NUMBER0;
  region.BaseAddress = 0xC0000000u;
  region.Size = MPU_REGION_SIZE_8MB;
  region.SubRegionDisable = 0x00;
  region.TypeExtField = MPU_TEX_LEVEL0;
  region.AccessPermission = MPU_REGION_FULL_ACCESS;
  region.DisableExec = MPU_INSTRUCTION_ACCESS_DISABLE;
  region.IsShareable = MPU_ACCESS_NOT_SHAREABLE;
  region.IsCacheable = MPU_ACCESS_CACHEABLE;
  region.IsBufferable = MPU_ACCESS_NOT_BUFFERABLE;
  HAL_MPU_ConfigRegion(&region);
  HAL_MPU_Enable(MPU_PRIVILEGED_DEFAULT);
}

// --- Microsecond clock ---

// DWT->CYCCNT wraps every 2^32 cycles (~20 s at 216 MHz), which is not a
// multiple of 2^32 microseconds; accumulating deltas in 64 bits keeps the
// microsecond counter wrapping at 2^32 as tinyml::Micros() requires.
uint32_t g_last_cycles = 0;
uint64_t g_total_cycles = 0;

uint32_t DwtMicros() {
  const uint32_t now = DWT->CYCCNT;
  g_total_cycles += static_cast<uint32_t>(now - g_last_cycles);
  g_last_cycles = now;
  const uint32_t cycles_per_us = SystemCoreClock / 1000000u;
  return static_cast<uint32_t>(g_total_cycles / cycles_per_us);
}

void StartCycleCounter() {
  CoreDebug->DEMCR |= CoreDebug_DEMCR_TRCENA_Msk;
  DWT->LAR = 0xC5ACCE55u;  // unlock; ignored where the lock is absent
  DWT->CYCCNT = 0;
  DWT->CTRL |= DWT_CTRL_CYCCNTENA_Msk;
  g_last_cycles = 0;
  g_total_cycles = 0;
  SetMicrosSource(&DwtMicros);
}

}  // namespace

void BoardBegin() {
  if (g_board_ready) return;
  g_board_ready = true;
  ConfigureMpu();
  SCB_EnableICache();
  SCB_EnableDCache();
  HAL_Init();
  // On failure the MCU keeps running from the 16 MHz HSI: slower, not broken.
  ConfigureClocks();
  SystemCoreClockUpdate();
  HAL_InitTick(TICK_INT_PRIORITY);
  StartCycleCounter();
  SerialBegin();
}

}  // namespace board
}  // namespace tinyml

// HAL_Delay (used by the BSP's SDRAM and LCD start-up) needs the 1 ms tick.
// Weak, so a project with its own stm32f7xx_it.c keeps its handler.
extern "C" __attribute__((weak)) void SysTick_Handler(void) { HAL_IncTick(); }
