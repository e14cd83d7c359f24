/*
 * float32-lane cores of gelu (see family_f32.h): rect_NAME_f32, rect_NAME_grad_f32 and
 * rect_NAME_backward_f32, chosen per function in kernels.c's RK_SMOOTH list.
 */
#ifndef RECTIFIER_FAMILY_F32_GELU_H
#define RECTIFIER_FAMILY_F32_GELU_H

#include "family_f32.h"

#endif
