// User header of the test project; the build must leave it untouched.
#ifndef APP_H_
#define APP_H_
#define APP_ON_PIXEL '#'
#define APP_OFF_PIXEL '.'
#endif  // APP_H_
