/*
 * float32-lane cores of silu, softplus (see family_f32.h): rect_NAME_f32, rect_NAME_grad_f32 and
 * rect_NAME_backward_f32, chosen per function in kernels.c's RK_SMOOTH list.
 */
#ifndef RECTIFIER_FAMILY_F32_LOGISTIC_H
#define RECTIFIER_FAMILY_F32_LOGISTIC_H

#include "family_f32.h"

#endif
