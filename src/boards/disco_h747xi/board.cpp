// SPDX-License-Identifier: Apache-2.0
// STM32H747I-DISCO Cortex-M7: 400 MHz from the 25 MHz HSE, SMPS supply, MPU
// for the SDRAM framebuffer, L1 caches, DWT microseconds.
#include "board.h"

#include <cstdint>

#include "stm32h7xx_hal.h"
#include "tinyml/timing.h"

namespace tinyml {
namespace board {
namespace {

bool g_board_ready = false;

// --- Clocks ---

// The board powers the core from the SMPS (a wrong supply setting locks the
// chip until the next power cycle). HSE 25 MHz / M 5 * N 160 / P 2 = 400 MHz
// at VOS1 with 4 flash wait states; AHB 200 MHz, APBx 100 MHz.
bool ConfigureClocks() {
  HAL_PWREx_ConfigSupply(PWR_DIRECT_SMPS_SUPPLY);
  __HAL_PWR_VOLTAGESCALING_CONFIG(PWR_REGULATOR_VOLTAGE_SCALE1);
  while (!__HAL_PWR_GET_FLAG(PWR_FLAG_VOSRDY)) {
  }

  RCC_OscInitTypeDef osc = {};
  osc.OscillatorType = RCC_OSCILLATORTYPE_HSE;
  osc.HSEState = RCC_HSE_ON;
  osc.PLL.PLLState = RCC_PLL_ON;
  osc.PLL.PLLSource = RCC_PLLSOURCE_HSE;
  osc.PLL.PLLM = 5;
  osc.PLL.PLLN = 160;
  osc.PLL.PLLFRACN = 0;
  osc.PLL.PLLP = 2;
  osc.PLL.PLLQ = 4;
  osc.PLL.PLLR = 2;
  osc.PLL.PLLVCOSEL = RCC_PLL1VCOWIDE;
  osc.PLL.PLLRGE = RCC_PLL1VCIRANGE_2;
  if (HAL_RCC_OscConfig(&osc) != HAL_OK) return false;

  RCC_ClkInitTypeDef clk = {};
  clk.ClockType = RCC_CLOCKTYPE_SYSCLK | RCC_CLOCKTYPE_HCLK |
                  RCC_CLOCKTYPE_D1PCLK1 | RCC_CLOCKTYPE_PCLK1 |
                  RCC_CLOCKTYPE_PCLK2 | RCC_CLOCKTYPE_D3PCLK1;
  clk.SYSCLKSource = RCC_SYSCLKSOURCE_PLLCLK;
  clk.SYSCLKDivider = RCC_SYSCLK_DIV1;
  clk.AHBCLKDivider = RCC_HCLK_DIV2;
  clk.APB3CLKDivider = RCC_APB3_DIV2;
  clk.APB1CLKDivider = RCC_APB1_DIV2;
  clk.APB2CLKDivider = RCC_APB2_DIV2;
  clk.APB4CLKDivider = RCC_APB4_DIV2;
  return HAL_RCC_ClockConfig(&clk, FLASH_LATENCY_4) == HAL_OK;
}

// --- Memory protection ---

// 0xD0000000 lies in the default map's Device region (no caching, unaligned
// accesses fault). The 32 MB SDRAM holding the LCD framebuffer becomes Normal
// write-through memory, so LTDC sees what the CPU wrote.
void ConfigureMpu() {
  HAL_MPU_Disable();
  MPU_Region_InitTypeDef region = {};
  region.Enable = MPU_REGION_ENABLE;
  region.Number = MPU_REGION_NUMBER0;
  region.BaseAddress = 0xD0000000u;
  region.Size = MPU_REGION_SIZE_32MB;
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

// DWT->CYCCNT wraps every 2^32 cycles (~10.7 s at 400 MHz); accumulating in
// 64 bits keeps the microsecond counter wrapping at 2^32 as Micros() requires.
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
  DWT->LAR = 0xC5ACCE55u;  // unlock (the M7's DWT has a software lock)
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
  // On failure the core keeps running from the 64 MHz HSI: slower, not broken.
  ConfigureClocks();
  SystemCoreClockUpdate();
  HAL_InitTick(TICK_INT_PRIORITY);
  StartCycleCounter();
  SerialBegin();
}

}  // namespace board
}  // namespace tinyml

// HAL_Delay (used by the BSP's SDRAM, DSI and panel start-up) needs the 1 ms
// tick. Weak, so a project with its own stm32h7xx_it.c keeps its handler.
extern "C" __attribute__((weak)) void SysTick_Handler(void) { HAL_IncTick(); }
