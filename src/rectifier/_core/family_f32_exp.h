/*
 * float32-lane cores of elu, selu, celu, mish, hardsigmoid, hardswish (see family_f32.h): rect_NAME_f32, rect_NAME_grad_f32 and
 * rect_NAME_backward_f32, chosen per function in kernels.c's RK_SMOOTH list.
 */
#ifndef RECTIFIER_FAMILY_F32_EXP_H
#define RECTIFIER_FAMILY_F32_EXP_H

#include "family_f32.h"

#endif
